"""The heads of lots begun under rules v1, as ``sentrace upgrade`` seals them.

A v1 document has no ``seq`` or ``prev``, so nothing links a v1 lot's events: deleting one
leaves the others verified. The upgrade seals every v1 lot that has events anchored before it
by giving the lot a head in the heads map, like any v2 lot's: (event_hash of its newest such
event, the number of such events). From then on the chain's heads root commits to how many
events the lot had when sealed and to the newest of them (docs/proof-rules.md, section 10).

Which events: a lot's v1 events in batches stored before rules v2, i.e. batches that record no
heads roots. Every batch stored since records them (one that moves no head too), and before it
seals, the upgrade either finds each such batch anchored on the retired v1 registry or gives
it heads roots to anchor it on the new one; so these are exactly the lot's events anchored on
the retired registry, which is what a verifier counts. "Newest" is the ledger's recording
order (``Event.seq``). Lots with rules-v2 events are never sealed: their heads are their own.

A sealing batch records heads roots and holds no event row. Its Merkle leaves are its lots'
head leaves (not their events' v1 leaves: a lot whose newest event sat alone in its batch
would give that batch's root again) and its ``event_count`` the number of lots, since the
registry asks only for a non-zero root and count. Lots are sealed in lot id order, a batch's
count at a time, so the lots the sealing batches up to any version sealed are the first
(the sum of their counts) of :func:`sealable_heads`: the audit and the replay recompute them
from that alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import exists
from sqlmodel import Session, col, func, select

from backend.hashing import MerkleTree, from_hex, head_leaf, lot_key
from backend.models import Batch, Event, Lot


@dataclass(frozen=True)
class SealedHead:
    """A v1 lot's head: its newest event anchored before the upgrade, and how many there are."""

    lot_id: int
    lot_code: str
    head_hash: str
    count: int

    @cached_property
    def head(self) -> tuple[bytes, bytes, int]:
        """``(lot_key, head_hash, seq)`` as the heads map takes it (may raise HashingError)."""
        return lot_key(self.lot_code), from_hex(self.head_hash), self.count

    @property
    def leaf(self) -> bytes:
        return head_leaf(*self.head)


def sealable_heads(session: Session) -> list[SealedHead]:
    """Every v1 lot's head as the upgrade seals it, in lot id order."""
    per_lot = (
        select(
            col(Event.lot_id).label("lot_id"),
            func.count().label("events"),
            func.max(Event.seq).label("newest"),
        )
        .join(Batch, col(Batch.id) == col(Event.batch_id))
        .where(Event.schema_version == 1, col(Batch.heads_root).is_(None))
        .group_by(col(Event.lot_id))
        .subquery()
    )
    rows = session.exec(
        select(Lot.id, Lot.code, Event.event_hash, per_lot.c.events)
        .join(per_lot, col(Lot.id) == per_lot.c.lot_id)
        .join(Event, col(Event.seq) == per_lot.c.newest)
        .where(Lot.last_seq == 0)
        .order_by(col(Lot.id))
    ).all()
    return [
        SealedHead(lot_id, code, head, int(count)) for lot_id, code, head, count in rows if lot_id
    ]


def sealing_batches(session: Session, *, up_to: int | None = None) -> list[tuple[int, int]]:
    """``(batch id, lots sealed)`` of every sealing batch (up to version ``up_to``), by id."""
    statement = select(Batch.id, Batch.event_count).where(
        col(Batch.heads_root).is_not(None),
        ~exists().where(col(Event.batch_id) == col(Batch.id)),
    )
    if up_to is not None:
        statement = statement.where(col(Batch.id) <= up_to)
    return [(i, n) for i, n in session.exec(statement.order_by(col(Batch.id))).all() if i]


def sealed_so_far(session: Session, *, up_to: int | None = None) -> list[SealedHead]:
    """The heads the sealing batches up to version ``up_to`` have sealed."""
    sealed = sum(count for _, count in sealing_batches(session, up_to=up_to))
    return sealable_heads(session)[:sealed] if sealed else []


def sealing_root(heads: Sequence[SealedHead]) -> bytes:
    """The Merkle root a sealing batch of ``heads`` anchors."""
    return MerkleTree.build([head.leaf for head in heads]).root
