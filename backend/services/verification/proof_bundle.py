"""The proof bundle: everything an outsider needs to check a lot without trusting us.

For the lot and each of its ancestors, every event's canonical document, its canonical bytes,
event hash, lot key, the stored leaf and Merkle proof, the batch root and the anchoring
transaction; plus the chain id and registry address, and the milestone transactions.
``sentrace verify-proof`` (module ``backend.services.verification.offline``) checks a bundle
against any node using only the bundle and the chain (and a registry address it trusts).

Two formats, by the rules the lineage was recorded under. A lineage recorded under rules v1
gives ``sentrace/proof-bundle@1``: each document rebuilt from the stored fields, exactly as
verification rebuilds it. Once any lot of it follows rules v2 the bundle is
``sentrace/proof-bundle@2`` (``rules``: ``sentrace/event@2``): each v2 event carries the exact
canonical bytes stored for it (never rebuilt), the document read from them and the signature
stored with it (section 12: the verifier recovers the signer and asks the chain), and each lot
its ``rules`` and head proof against one heads root (``heads``, see ``proof_heads``), so that
the verifier can prove that no document was left out.

What is stored goes in as stored: a database edited behind our back yields a bundle that fails
verification, which is the point. An event whose stored record can no longer be read is listed
with ``document: null`` and the problem, never silently dropped. Transaction hashes and blocks
come from the chain's own log of the anchor where the chain answers, not from batch columns;
a milestone's, and its status, only from the registry's log of the bundled document's hash
(``ChainView.milestone``), never from its outbox row.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlmodel import Session

from backend.hashing import (
    SCHEMA,
    SCHEMA_V2,
    HashingError,
    canonical_bytes,
    from_hex,
    keccak,
    read_document,
    to_hex,
)
from backend.models import EVENT_KIND_CODES, Batch, BatchStatus, ChainAction, Event, EventType, Lot
from backend.services.ledger.documents import event_document
from backend.services.verification.chain_view import UNKNOWN_ANCHOR, AnchorState, ChainView
from backend.services.verification.lineage import Lineage, LotRecord, load_lineage
from backend.services.verification.proof_heads import head_proof_entry, heads_root_for
from backend.services.verification.results import milestone_status
from backend.timeutil import rfc3339_z, utcnow

BUNDLE_FORMAT = "sentrace/proof-bundle@1"
BUNDLE_FORMAT_V2 = "sentrace/proof-bundle@2"


def build_bundle(session: Session, *, code: str, view: ChainView) -> dict[str, Any] | None:
    """The bundle for the lot named ``code``; None when there is no such lot."""
    lineage = load_lineage(session, code)
    if lineage is None:
        return None
    return bundle_for(lineage, view, session=session)


def bundle_for(
    lineage: Lineage, view: ChainView, *, session: Session | None = None
) -> dict[str, Any]:
    chain_id, contract = _registry(lineage, view)
    v2 = any(_follows_v2(record) for record in lineage.records)
    heads = heads_root_for(lineage, view, session) if v2 else None
    lots = [
        _lot_entry(record, "self" if i == 0 else "ancestor")
        for i, record in enumerate(lineage.records)
    ]
    if v2:
        for entry, record in zip(lots, lineage.records, strict=True):
            rules = SCHEMA_V2 if _follows_v2(record) else SCHEMA
            proof = head_proof_entry(record, lineage, heads and heads["heads_root"])
            entry.update(rules=rules, head_proof=proof if rules == SCHEMA_V2 else None)
    events = [
        _event_entry(event, record.lot, record, lineage, view)
        for record in lineage.records
        for event in _in_order(record)
    ]
    queued = lineage.milestones
    milestones = [
        _milestone(entry, queued[entry["id"]], view) for entry in events if entry["id"] in queued
    ]
    bundle: dict[str, Any] = {
        "format": BUNDLE_FORMAT_V2 if v2 else BUNDLE_FORMAT,
        "rules": SCHEMA_V2 if v2 else SCHEMA,
        "generated_at": rfc3339_z(utcnow()),
        "lot": lineage.record.lot.code,
        "chain": {
            "chain_id": chain_id,
            "contract_address": contract,
            "confirmations_required": view.confirmations,
        },
    }
    if v2:
        bundle["heads"] = heads
    bundle.update(lots=lots, events=events, milestones=milestones)
    return bundle


def _follows_v2(record: LotRecord) -> bool:
    """A lot follows rules v2 from its first event on (a lot begun under v1 stays v1)."""
    return record.lot.last_seq > 0 or any(e.schema_version >= 2 for e in record.events)


def _in_order(record: LotRecord) -> list[Event]:
    """A v2 lot's events by their place in the lot; a v1 lot's in time order, as loaded."""
    if not _follows_v2(record):
        return record.events
    return sorted(record.events, key=lambda e: (e.lot_seq is None, e.lot_seq or 0, e.seq or 0))


def _registry(lineage: Lineage, view: ChainView) -> tuple[int | None, str | None]:
    """The registry now in use; when the chain is down, the one most batches name."""
    if view.reachable:
        return view.chain_id, view.contract_address
    seen = Counter(
        (b.chain_id, b.contract_address)
        for b in lineage.batches.values()
        if b.status is BatchStatus.CONFIRMED and b.contract_address
    )
    if not seen:
        return None, None
    (chain_id, contract), _ = seen.most_common(1)[0]
    return chain_id, contract


def _lot_entry(record: LotRecord, relation: str) -> dict[str, Any]:
    lot = record.lot
    return {
        "code": lot.code,
        "lot_key": record.lot_key,
        "relation": relation,
        "recalled": lot.recalled_at is not None,
    }


def _anchoring(batch: Batch | None, view: ChainView) -> tuple[str | None, int | None]:
    """Transaction and block of the batch's anchor: the chain's log where the chain answers
    for it, the batch's own record only where it cannot (not sent yet, chain unreachable)."""
    if batch is None:
        return None, None
    if batch.status is BatchStatus.CONFIRMED:
        fact = view.anchor(batch.root)
        if fact.tx_hash is not None:
            return fact.tx_hash, fact.block_number
        if fact.state is AnchorState.ABSENT:
            return None, None
    return batch.tx_hash, batch.block_number


def _event_entry(
    event: Event, lot: Lot, record: LotRecord, lineage: Lineage, view: ChainView
) -> dict[str, Any]:
    batch = lineage.batches.get(event.batch_id) if event.batch_id is not None else None
    tx_hash, block_number = _anchoring(batch, view)
    entry: dict[str, Any] = {
        "id": event.id,
        "lot": lot.code,
        "type": str(event.type),
        "event_hash": event.event_hash,
        "lot_key": record.lot_key,
        "leaf": event.leaf,
        "proof": list(event.merkle_proof or []),
        "root": batch.root if batch else None,
        "batch_status": str(batch.status) if batch else None,
        "tx_hash": tx_hash,
        "block_number": block_number,
        "milestone_tx_hash": None,  # the chain's, filled in by ``_milestone``
    }
    if event.schema_version >= 2:
        # The signature as stored; its signer is recovered by the verifier, never stated here.
        entry.update(_stored_document(event), signature=getattr(event, "signature", None))
        return entry
    org = lineage.orgs.get(event.org_id)
    try:
        document = event_document(event, lot_code=lot.code, org_slug=org.slug if org else "")
        raw = canonical_bytes(document)
    except HashingError as exc:
        entry.update(document=None, canonical_json=None, canonical_hex=None, problem=str(exc))
        return entry
    entry.update(
        document=document,
        canonical_json=raw.decode("utf-8"),
        canonical_hex=to_hex(raw),
    )
    return entry


def _milestone(entry: dict[str, Any], action: ChainAction, view: ChainView) -> dict[str, Any]:
    """The milestone of a bundled event, as the chain holds it: the registry's log of the lot
    key, the kind of the type its document states and the hash of its canonical bytes. Its
    transaction goes into the event's entry too. A document that cannot be read names no
    milestone to look for: its status is ``unknown``. The ``action`` queued for it only says
    which transaction's receipt to read first."""
    kind = event_hash = None
    fact = UNKNOWN_ANCHOR
    document, raw = entry.get("document"), entry.get("canonical_hex")
    try:
        stated = EventType(document["type"]) if document is not None and raw else None
    except ValueError:
        stated = None
    if stated is not None and raw is not None:
        kind, event_hash = EVENT_KIND_CODES[stated], to_hex(keccak(from_hex(raw, size=None)))
        fact = view.milestone(entry["lot_key"], kind, event_hash, hint=action.tx_hash)
    entry["milestone_tx_hash"] = fact.tx_hash
    return {
        "event_id": entry["id"],
        "lot_key": entry["lot_key"],
        "kind": kind,
        "event_hash": event_hash,
        "status": milestone_status(fact),
        "tx_hash": fact.tx_hash,
        "block_number": fact.block_number,
    }


def _stored_document(event: Event) -> dict[str, Any]:
    """A v2 event's stored bytes as they are, and the document read from them."""
    if event.canonical is None:
        return {
            "document": None,
            "canonical_json": None,
            "canonical_hex": None,
            "problem": "no stored canonical document",
        }
    raw = bytes(event.canonical)
    try:
        document: dict[str, Any] | None = read_document(raw)
        problem = None
    except HashingError as exc:
        document, problem = None, str(exc)
    try:
        text: str | None = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    stored = {"document": document, "canonical_json": text, "canonical_hex": to_hex(raw)}
    return stored if problem is None else {**stored, "problem": problem}
