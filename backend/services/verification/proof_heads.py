"""The heads part of a rules v2 proof bundle: one heads root, and each lot's head proof against it.

An offline verifier proves a lot complete by checking its head proof against the heads root the
registry holds when the check runs (docs/proof-rules.md, section 7, step 4). So the bundle is
made against the root the registry holds now, read through the request's chain view, which is
what a verifier will read too unless batches are anchored in between (then it reports the
bundle out of date). When the chain cannot be asked, the root recorded by the newest confirmed
batch that anchored an event of the lineage is used, and the bundle says so (``source``).
With the root goes the root of a batch that recorded it, so an auditor can find its anchor.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from backend.hashing import HashingError, from_hex, head_leaf, to_hex
from backend.models import Batch, BatchStatus
from backend.services.anchoring.heads.proofs import HeadProofAt
from backend.services.verification.chain_view import ChainView
from backend.services.verification.lineage import Lineage, LotRecord

ZERO = bytes(32)


def heads_root_for(
    lineage: Lineage, view: ChainView, session: Session | None
) -> dict[str, Any] | None:
    """``{"heads_root", "batch_root", "source"}`` for the bundle, or None when no root is known
    (the chain cannot be asked and no batch of the lineage recorded one)."""
    root = view.heads_root()
    if root is not None:
        return {
            "heads_root": to_hex(root),
            "batch_root": None if root == ZERO else _batch_recording(lineage, root, session),
            "source": "chain",
        }
    recorded = [
        b
        for b in lineage.batches.values()
        if b.status is BatchStatus.CONFIRMED and b.heads_root is not None
    ]
    if not recorded:
        return None
    newest = max(recorded, key=lambda b: b.id or 0)
    return {"heads_root": newest.heads_root, "batch_root": newest.root, "source": "ledger"}


def _batch_recording(lineage: Lineage, root: bytes, session: Session | None) -> str | None:
    """The root of the newest batch that recorded ``root`` as its heads root."""
    wanted = to_hex(root)
    own = [b for b in lineage.batches.values() if (b.heads_root or "").lower() == wanted]
    if own:
        return max(own, key=lambda b: b.id or 0).root
    if session is None:
        return None
    found = session.exec(
        select(Batch.root)
        .where(col(Batch.heads_root) == wanted)
        .order_by(col(Batch.id).desc())
        .limit(1)
    ).first()
    return found


def head_proof_entry(
    record: LotRecord, lineage: Lineage, heads_root: str | None
) -> dict[str, Any] | None:
    """The lot's head proof against ``heads_root`` as the bundle writes it; None when the
    ledger cannot give one (the verifier then reports the head as unproven)."""
    if heads_root is None or lineage.prove_head is None:
        return None
    proof = lineage.prove_head(record.lot_key_bytes, from_hex(heads_root))
    if proof is None:
        return None
    return {
        "bitmap": to_hex(proof.bitmap.to_bytes(32)),
        "siblings": [to_hex(node) for node in proof.siblings],
        "leaf": None if proof.leaf is None else to_hex(proof.leaf),
        "head": _head_named(record, proof),
    }


def _head_named(record: LotRecord, proof: HeadProofAt) -> dict[str, Any] | None:
    """The lot's event whose head leaf is the proven one (by its stored hash and seq)."""
    if proof.leaf is None:
        return None
    for event in record.events:
        if event.lot_seq is None or not event.event_hash:
            continue
        try:
            leaf = head_leaf(record.lot_key_bytes, from_hex(event.event_hash), event.lot_seq)
        except HashingError:
            continue
        if leaf == proof.leaf:
            return {"seq": event.lot_seq, "event_hash": event.event_hash}
    return None
