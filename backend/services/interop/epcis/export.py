"""A lot's proven events as an EPCIS 2.0 document in JSON-LD (``GET /api/v1/lots/{code}/epcis``).

Built from what verification checked: the lot's lineage is verified, and every event whose
document reads and is not ``tampered`` is exported, mapped by ``mapping``. An event captured
from an EPCIS document is given back as it arrived to a reader with read rights on its lot; to
anyone else it is mapped from its SenTrace document like a native event, with
``sentrace:captured`` naming the captured eventID and the SHA-256 its document commits to: a
capture may hold what its organisation never meant for the public (a ``geo:`` read point, a
person in an extension member), and the public face shows only what the proven document does.
Each event carries:

- ``eventID``: the CBV 2.0 event hash of the event without ``sentrace:proof`` (a captured
  event keeps the eventID it came with);
- ``sentrace:proof``: the SenTrace document's canonical text, its event_hash, signature, verdict,
  leaf, Merkle proof, batch root and anchoring transaction, with the chain id and registry, so
  that the export alone, plus a chain, proves each event (docs/epcis.md says how).

With ``ancestry`` the events of every lot it was split or merged from come too.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785
from sqlmodel import Session, col, select

from backend.models import Organisation
from backend.models_epcis import EpcisEvent
from backend.services.interop.epcis.event_hash import PROOF_MEMBER, event_id
from backend.services.interop.epcis.lot_facts import facts_from_document, facts_of_lot
from backend.services.interop.epcis.mapping import LotFacts, Mapper
from backend.services.interop.epcis.vocabulary import Vocabulary
from backend.services.ledger.visibility import can_read
from backend.services.verification.chain_view import ChainView
from backend.services.verification.engine import verify_lineage
from backend.services.verification.lineage import LotRecord, load_lineage
from backend.services.verification.proof_bundle import bundle_for
from backend.timeutil import rfc3339_z, utcnow

SCHEMA_VERSION = "2.0"
#: The member of a captured event's SenTrace data naming the EPCIS event it records.
CAPTURED = "epcis"


def export_lot(
    session: Session,
    *,
    code: str,
    view: ChainView,
    vocabulary: Vocabulary,
    ancestry: bool,
    reader: Organisation | None = None,
) -> dict[str, Any] | None:
    """The EPCIS document of the lot named ``code``; None when there is no such lot. Captured
    bodies come verbatim only on lots ``reader`` may read (None: the public face)."""
    lineage = load_lineage(session, code)
    if lineage is None:
        return None
    verification = verify_lineage(lineage, view)
    bundle = bundle_for(lineage, view, session=session)
    checks = [verification.lot, *verification.ancestors]
    verdicts = {e.event.id: str(e.verdict) for check in checks for e in check.events}
    wanted = {r.lot.code for r in (lineage.records if ancestry else [lineage.record])}
    facts = _facts(session, lineage.records, bundle["events"])
    entries = [
        e
        for e in bundle["events"]
        if e["lot"] in wanted and e.get("document") and verdicts.get(e["id"]) != "tampered"
    ]
    readable = {
        r.lot.code
        for r in lineage.records
        if reader is not None and can_read(session, org=reader, lot=r.lot)
    }
    captured = _captured_bodies(session, [e for e in entries if e["lot"] in readable])
    mapper = Mapper(vocabulary)
    events: list[dict[str, Any]] = []
    seen: set[str] = set()
    prefixes: dict[str, str] = {}
    for entry in sorted(entries, key=lambda e: (e["document"]["occurred_at"], e["lot"])):
        event = _event(entry, facts[entry["lot"]], mapper, captured, vocabulary, prefixes)
        identity = _captured_id(entry) or event["eventID"]
        if identity in seen:  # one captured event recorded on several lots
            continue
        seen.add(identity)
        event[PROOF_MEMBER] = _proof(entry, bundle["chain"], verdicts.get(entry["id"]))
        events.append(event)
    return {
        "@context": vocabulary.context(prefixes),
        "type": "EPCISDocument",
        "schemaVersion": SCHEMA_VERSION,
        "creationDate": rfc3339_z(utcnow()),
        "epcisBody": {"eventList": events},
        vocabulary.term("lot"): {
            "code": lineage.record.lot.code,
            "verdict": str(verification.verdict),
            "ancestry": sorted(wanted - {lineage.record.lot.code}),
            "chainId": bundle["chain"]["chain_id"],
            "registry": bundle["chain"]["contract_address"],
        },
    }


def _event(
    entry: dict[str, Any],
    lot: LotFacts,
    mapper: Mapper,
    captured: dict[str, dict[str, Any]],
    vocabulary: Vocabulary,
    prefixes: dict[str, str],
) -> dict[str, Any]:
    identity = _captured_id(entry)
    if identity is not None and identity in captured:
        body = dict(captured[identity])
        context = body.pop("@context", None)
        if isinstance(context, dict):
            prefixes.update({k: v for k, v in context.items() if isinstance(v, str)})
        return body
    event = mapper.event(entry["document"], lot)
    if identity is not None:  # the public face of a captured event
        reference = entry["document"]["data"][CAPTURED]
        event[vocabulary.term("captured")] = {
            "eventID": identity,
            "sha256": reference.get("sha256"),
        }
    return with_event_id(event, vocabulary)


def _captured_id(entry: dict[str, Any]) -> str | None:
    """The eventID of the EPCIS event ``entry`` records, when it was captured."""
    reference = (entry["document"].get("data") or {}).get(CAPTURED)
    if isinstance(reference, dict) and isinstance(reference.get("eventID"), str):
        return str(reference["eventID"])
    return None


def with_event_id(event: dict[str, Any], vocabulary: Vocabulary) -> dict[str, Any]:
    """``event`` with its eventID (the CBV 2.0 hash) after its type, as exported."""
    identity = event_id(event, vocabulary.context())
    return {"type": event["type"], "eventID": identity, **event}


def captured_digest(body: dict[str, Any]) -> str:
    """SHA-256 (hex) of a captured event's RFC 8785 canonical JSON, as its SenTrace document
    records it: the export gives ``body`` back, and anyone can check it is what was signed."""
    return hashlib.sha256(rfc8785.dumps(body)).hexdigest()


def _captured_bodies(session: Session, entries: list[dict[str, Any]]) -> dict[str, Any]:
    ids = [identity for e in entries if (identity := _captured_id(e)) is not None]
    if not ids:
        return {}
    rows = session.exec(select(EpcisEvent).where(col(EpcisEvent.event_id).in_(ids))).all()
    return {row.event_id: row.body for row in rows if row.body is not None}


def _facts(
    session: Session, records: list[LotRecord], events: list[dict[str, Any]]
) -> dict[str, LotFacts]:
    firsts = {
        e["lot"]: e["document"]
        for e in events
        if e.get("document") and e["document"].get("seq") == 1
    }
    found: dict[str, LotFacts] = {}
    for record in records:
        code = record.lot.code
        found[code] = facts_from_document(code, firsts.get(code)) or facts_of_lot(
            session, record.lot
        )
    return found


def _proof(entry: dict[str, Any], chain: dict[str, Any], verdict: str | None) -> dict[str, Any]:
    document = entry["document"]
    return {
        "lot": entry["lot"],
        "seq": document.get("seq"),
        "eventHash": entry["event_hash"],
        "document": entry.get("canonical_json"),
        "signature": entry.get("signature"),
        "verdict": verdict,
        "leaf": entry.get("leaf"),
        "merkleProof": entry.get("proof") or [],
        "batchRoot": entry.get("root"),
        "txHash": entry.get("tx_hash"),
        "blockNumber": entry.get("block_number"),
        "chainId": chain.get("chain_id"),
        "registry": chain.get("contract_address"),
    }
