"""The proof bundle: everything an outsider needs to check a lot without trusting us.

For the lot and each of its ancestors, every event's canonical document (rebuilt from the
stored fields, exactly as verification rebuilds it), its canonical bytes, event hash, lot key,
the stored leaf and Merkle proof, the batch root and the anchoring transaction; plus the chain
id and registry address, and the milestone transactions. ``sentrace verify-proof`` (module
``backend.services.verification.offline``) checks a bundle against any node using only the
bundle and the chain.

What is stored goes in as stored: a database edited behind our back yields a bundle that fails
verification, which is the point. An event whose stored fields can no longer be hashed is
listed with ``document: null`` and the problem, never silently dropped.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlmodel import Session

from backend.hashing import (
    SCHEMA,
    HashingError,
    canonical_bytes,
    to_hex,
)
from backend.models import BatchStatus, Event, Lot
from backend.services.ledger.documents import event_document
from backend.services.verification.chain_view import ChainView
from backend.services.verification.lineage import Lineage, LotRecord, load_lineage
from backend.timeutil import rfc3339_z, utcnow

BUNDLE_FORMAT = "sentrace/proof-bundle@1"


def build_bundle(session: Session, *, code: str, view: ChainView) -> dict[str, Any] | None:
    """The bundle for the lot named ``code``; None when there is no such lot."""
    lineage = load_lineage(session, code)
    if lineage is None:
        return None
    return bundle_for(lineage, view)


def bundle_for(lineage: Lineage, view: ChainView) -> dict[str, Any]:
    chain_id, contract = _registry(lineage, view)
    lots = [
        _lot_entry(record, "self" if i == 0 else "ancestor")
        for i, record in enumerate(lineage.records)
    ]
    events = [
        _event_entry(event, record.lot, record, lineage)
        for record in lineage.records
        for event in record.events
    ]
    milestones = [
        {
            "event_id": event_id,
            "lot_key": action.lot_key,
            "kind": action.event_kind,
            "event_hash": action.payload_hash,
            "status": str(action.status),
            "tx_hash": action.tx_hash,
            "block_number": action.block_number,
        }
        for event_id, action in lineage.milestones.items()
    ]
    return {
        "format": BUNDLE_FORMAT,
        "rules": SCHEMA,
        "generated_at": rfc3339_z(utcnow()),
        "lot": lineage.record.lot.code,
        "chain": {
            "chain_id": chain_id,
            "contract_address": contract,
            "confirmations_required": view.confirmations,
        },
        "lots": lots,
        "events": events,
        "milestones": milestones,
    }


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


def _event_entry(event: Event, lot: Lot, record: LotRecord, lineage: Lineage) -> dict[str, Any]:
    batch = lineage.batches.get(event.batch_id) if event.batch_id is not None else None
    org = lineage.orgs.get(event.org_id)
    milestone = lineage.milestones.get(event.id)
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
        "tx_hash": batch.tx_hash if batch else None,
        "block_number": batch.block_number if batch else None,
        "milestone_tx_hash": milestone.tx_hash if milestone else None,
    }
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
