"""Rules v2, completeness: nothing of a lot was cut off after its newest record shown here.

The lot's own chain of documents (``chain_of_events``) shows that nothing is missing between
its first and its newest stored document, but not that the newest one stored is the newest
anchored: deleting the last event, or every event after some point, leaves an intact chain.
The heads map closes that. The chain holds the root of a map of every lot's newest anchored
``(event_hash, seq)``; the ledger proves the lot's entry against the root the chain holds NOW
(an older root would let an old state be replayed), and that entry must be one of the lot's
stored documents. Documents after the proven head are simply not anchored yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from backend.hashing import from_hex, head_leaf, verify_head, verify_no_head
from backend.services.verification.chain_view import ChainView
from backend.services.verification.lineage import HeadProver
from backend.services.verification.verdicts import Finding, Verdict


def head_problems(
    *,
    lot_key: bytes,
    documents: Sequence[tuple[dict[str, Any], str]],
    anchored: bool,
    no_events: bool = False,
    prove_head: HeadProver | None,
    view: ChainView,
) -> list[Finding]:
    """Findings about the lot's proven head; ``documents`` are ``(document, event hash)`` of
    the lot's readable v2 documents, ``anchored`` whether any of them claims an anchor,
    ``no_events`` that the lot has no event row at all (every lot is created with its first
    event, so a lot without any had them deleted: the map tells whether the chain knew them)."""
    if prove_head is None or not (documents or no_events):
        return []
    root = view.heads_root()
    if root is None:
        return [Finding(Verdict.PENDING, "pending_chain_unreachable")] if anchored else []
    proof = prove_head(lot_key, root)
    if proof is None:
        return [Finding(Verdict.TAMPERED, "tampered_head_unknown")]
    bitmap, siblings = proof.bitmap, list(proof.siblings)
    if proof.leaf is None:
        if not verify_no_head(root, lot_key, bitmap, siblings):
            return [Finding(Verdict.TAMPERED, "tampered_head_unknown")]
        if anchored:
            return [Finding(Verdict.TAMPERED, "tampered_head_absent")]
        return []
    for document, digest in reversed(documents):  # the proven head is most often the newest
        seq = document["seq"]
        if head_leaf(lot_key, from_hex(digest), seq) == proof.leaf:
            if verify_head(root, lot_key, from_hex(digest), seq, bitmap, siblings):
                return []
            return [Finding(Verdict.TAMPERED, "tampered_head_unknown")]
    return [Finding(Verdict.TAMPERED, "tampered_head_missing")]
