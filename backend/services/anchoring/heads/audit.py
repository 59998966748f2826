"""``sentrace heads rebuild``: recompute the heads map from the anchored events, and compare.

The map is maintained incrementally, batch by batch, and only its root goes on chain; this
audit recomputes it from scratch (every lot's newest anchored rules-v2 event, and the heads of
the v1 lots sealed so far: ``sealed``), in memory, and compares that root with the one the
newest batch records, and with the root of the stored, versioned map as of that batch. All
three agree unless heads were moved wrongly, a lot was dropped, an anchored event was altered
or removed, or stored nodes were changed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from backend.hashing import HashingError, HeadsMap, MemoryNodeStore, from_hex, lot_key
from backend.models import Event, Lot
from backend.services.anchoring.heads.history import HeadsBase, newest_base
from backend.services.anchoring.heads.sealed import sealed_so_far
from backend.services.anchoring.heads.store import SqlNodeStore

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HeadsAudit:
    """The three roots an audit compares; ``stored`` None when the stored map is unreadable."""

    batch_id: int | None  # the newest batch; None before the first one
    recorded: bytes
    rebuilt: bytes
    stored: bytes | None
    lots: int  # lots with an anchored head
    unreadable: int  # anchored heads whose stored hash or lot code cannot be hashed

    @property
    def agrees(self) -> bool:
        return self.unreadable == 0 and self.rebuilt == self.recorded == self.stored


def anchored_heads(
    session: Session, *, up_to: int, lot_code: str | None = None
) -> list[tuple[str, str, int]]:
    """``(lot code, event_hash, lot_seq)`` of each lot's newest rules-v2 event in batches
    up to ``up_to`` (of one lot, when ``lot_code`` is given): a batch stored after the newest
    one read is left out, so a builder working meanwhile cannot make the audit disagree.
    v1 lots sealed by the batches up to ``up_to`` come last, with their sealed heads."""
    newest = select(col(Event.lot_id).label("lot_id"), func.max(Event.lot_seq).label("top"))
    if lot_code is not None:
        newest = newest.join(Lot, col(Lot.id) == col(Event.lot_id)).where(Lot.code == lot_code)
    top = (
        newest.where(
            col(Event.batch_id).is_not(None),
            col(Event.batch_id) <= up_to,
            Event.schema_version == 2,
            col(Event.lot_seq).is_not(None),
        )
        .group_by(col(Event.lot_id))
        .subquery()
    )
    statement = (
        select(Lot.code, Event.event_hash, Event.lot_seq)
        .join(top, and_(Event.lot_id == top.c.lot_id, Event.lot_seq == top.c.top))
        .join(Lot, col(Lot.id) == col(Event.lot_id))
    )
    found = [(code, hash_, seq) for code, hash_, seq in session.exec(statement).all() if seq]
    sealed = sealed_so_far(session, up_to=up_to)
    return found + [
        (s.lot_code, s.head_hash, s.count) for s in sealed if lot_code in (None, s.lot_code)
    ]


def audit_heads(session: Session) -> HeadsAudit:
    """Rebuild the map in memory and compare its root with the recorded and stored ones."""
    base = newest_base(session)
    heads, unreadable = [], 0
    for code, event_hash, seq in anchored_heads(session, up_to=base.version):
        try:
            heads.append((lot_key(code), from_hex(event_hash), seq))
        except HashingError as exc:
            logger.error("lot %s: its anchored head cannot be hashed: %s", code, exc)
            unreadable += 1
    rebuilt = HeadsMap.from_heads(heads, MemoryNodeStore()).root
    return HeadsAudit(
        batch_id=base.version or None,
        recorded=base.root,
        rebuilt=rebuilt,
        stored=_stored_root(session, base),
        lots=len(heads),
        unreadable=unreadable,
    )


def _stored_root(session: Session, base: HeadsBase) -> bytes | None:
    try:
        return HeadsMap(SqlNodeStore(session, base.version)).root
    except HashingError as exc:
        logger.error("the stored heads map as of batch %s cannot be read: %s", base.version, exc)
        return None
