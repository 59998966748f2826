"""Lots begun under rules v1, sealed by ``sentrace upgrade``: none of their events may go.

A v1 lot's documents do not name one another, so rules v1 alone cannot see an event deleted.
The upgrade sealed each v1 lot with a head in the heads map: (the hash of its newest event
anchored on the retired v1 registry, the number of such events); see ``anchoring.upgrade``
and docs/proof-rules.md, section 10. Here the lot's v1 events that the chain shows anchored on
a retired registry are counted (n), and one of them must hash to the head that the chain's
heads root holds for the lot, with seq n. Deleting any of them (the newest, or one alone in
its batch) changes n or takes the head away; an event moved in from another lot changes n.
Events anchored since the upgrade, on the registry in use, are not part of the seal.

The count rests on chain facts only (which registry holds each batch's root), never on a
database column; the head is proven against the heads root the chain holds now, as a rules v2
lot's is (``heads_check``). Before an upgrade (no retired registry) nothing here applies.
"""

from __future__ import annotations

from collections.abc import Sequence

from backend.hashing import from_hex, head_leaf, verify_head, verify_no_head
from backend.services.verification.chain_view import AnchorState, ChainView
from backend.services.verification.lineage import HeadProver
from backend.services.verification.results import EventCheck
from backend.services.verification.verdicts import Finding, Verdict

_ON_CHAIN = (AnchorState.FINAL, AnchorState.SHALLOW)


def sealed_head_problems(
    *,
    lot_key: bytes,
    events: Sequence[EventCheck],
    prove_head: HeadProver | None,
    view: ChainView,
) -> list[Finding]:
    """Findings about a v1 lot's sealed head; none for a rules v2 lot or a lot never sealed."""
    if prove_head is None or not view.retired_registries:
        return []
    if any(check.event.schema_version >= 2 for check in events):
        return []  # its head is its own (heads_check)
    anchors = [check.anchor for check in events if check.anchor is not None]
    if any(anchor.state is AnchorState.UNKNOWN for anchor in anchors):
        return []  # some anchors cannot be placed now: their events read pending already
    if events and not any(anchor.state in _ON_CHAIN for anchor in anchors):
        return []  # nothing of it is anchored; a lot with no event left is looked up
    root = view.heads_root()
    if root is None:
        return [Finding(Verdict.PENDING, "pending_chain_unreachable")]
    proof = prove_head(lot_key, root)
    if proof is None:
        return [Finding(Verdict.TAMPERED, "tampered_head_unknown")]
    bitmap, siblings = proof.bitmap, list(proof.siblings)
    if proof.leaf is None:  # never sealed, or its sealing batch is not anchored yet
        absent = verify_no_head(root, lot_key, bitmap, siblings)
        return [] if absent else [Finding(Verdict.TAMPERED, "tampered_head_unknown")]
    sealed = [check for check in events if check.anchor is not None and check.anchor.registry]
    count = len(sealed)
    heads = (from_hex(check.computed_hash) for check in sealed if check.computed_hash)
    head = next((h for h in heads if head_leaf(lot_key, h, count) == proof.leaf), None)
    if head is None and not count:  # the chain holds a head, the ledger nothing sealed
        return [Finding(Verdict.TAMPERED, "tampered_head_missing")]
    if head is None:
        return [Finding(Verdict.TAMPERED, "tampered_seal_broken", {"count": count})]
    if not verify_head(root, lot_key, head, count, bitmap, siblings):
        return [Finding(Verdict.TAMPERED, "tampered_head_unknown")]
    return []
