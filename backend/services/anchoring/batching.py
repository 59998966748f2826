"""Turning pending events into a stored Merkle batch, before anything touches the chain.

A batch is written in ONE transaction: the ``Batch`` row (status pending) and, for every event
in it, ``batch_id``, ``leaf`` and ``merkle_proof``. Only then is the root sent. If the process
dies afterwards, the batch is still there and is completed on restart; if it dies before the
commit, the events are still pending. Either way no accepted event is lost.

Exactly one batch per event, even with several workers on one PostgreSQL database: pending rows
are read ``FOR UPDATE SKIP LOCKED`` (each worker takes rows nobody else holds), and every row is
claimed with ``WHERE batch_id IS NULL``; if any claim finds the row already taken, the whole
batch is rolled back and retried on the next pass.

The same transaction moves the lot heads map (rules v2) and records the batch's heads roots
before and after; builders take turns for that, so the roots form one linear history (see
``heads.history``). A rules-v2 event that does not extend its lot's head in order stays
pending, as do rows whose stored hash is not a bytes32.

A signed event waits until its signer key is ``active`` (its registration confirmed on chain):
anchored earlier, its signature would read as made by a key registered only after anchoring.
Nothing is lost: it stays pending, and so do the events after it in its lot.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import bindparam, func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.hashing import HashingError, MerkleTree, from_hex, leaf_hash, lot_key, to_hex
from backend.models import Batch, BatchStatus, Event, KeyStatus, Lot, OrgKey
from backend.services.anchoring.heads import ChainedEvent, HeadsStep
from backend.timeutil import as_utc, utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuiltBatch:
    """A batch just written to the database (status pending)."""

    batch_id: int
    root: str
    event_count: int


@dataclass(frozen=True)
class _PendingRow:
    seq: int
    event_hash: str
    recorded_at: datetime
    lot_code: str
    schema_version: int = 1
    lot_seq: int | None = None
    prev_hash: str | None = None


class BatchContended(RuntimeError):
    """Another worker claimed some of the selected events first; nothing was written."""


def _select_pending(session: Session, *, limit: int) -> list[_PendingRow]:
    statement = (
        select(
            Event.seq,
            Event.event_hash,
            Event.recorded_at,
            Lot.code,
            Event.schema_version,
            Event.lot_seq,
            Event.prev_hash,
        )
        .join(Lot, col(Lot.id) == col(Event.lot_id))
        .outerjoin(OrgKey, col(OrgKey.address) == col(Event.signer))
        .where(col(Event.batch_id).is_(None))
        .where(col(Event.signer).is_(None) | (col(OrgKey.status) == KeyStatus.ACTIVE.value))
        .order_by(col(Event.seq))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True, of=Event)
    return [
        _PendingRow(seq, event_hash, as_utc(recorded_at), code, version, lot_seq, prev_hash)
        for seq, event_hash, recorded_at, code, version, lot_seq, prev_hash in session.exec(
            statement
        ).all()
        if seq is not None  # always set for stored rows; the column type allows None
    ]


def is_due(
    rows_count: int, oldest: datetime, *, max_events: int, max_delay_s: float, now: datetime
) -> bool:
    """A batch is due when it is full or its oldest event has waited long enough."""
    return rows_count >= max_events or now - oldest >= timedelta(seconds=max_delay_s)


def _due(
    rows: list[_PendingRow],
    *,
    force: bool,
    max_events: int,
    max_delay_s: float,
    now: datetime,
) -> bool:
    """Whether ``rows`` make a batch now: any at all when forced, else :func:`is_due`."""
    if not rows:
        return False
    oldest = min(row.recorded_at for row in rows)
    return force or is_due(
        len(rows), oldest, max_events=max_events, max_delay_s=max_delay_s, now=now
    )


def _leaves(rows: list[_PendingRow]) -> dict[int, bytes]:
    """seq → leaf; rows whose stored hash is not a bytes32 are left out (and logged)."""
    out: dict[int, bytes] = {}
    for row in rows:
        try:
            out[row.seq] = leaf_hash(lot_key(row.lot_code), from_hex(row.event_hash))
        except HashingError as exc:
            logger.error("event seq %s cannot be anchored: %s", row.seq, exc)
    return out


def _chained(rows: list[_PendingRow], leaves: dict[int, bytes]) -> list[ChainedEvent]:
    """The rules-v2 rows among those with a leaf, as the heads map takes them."""
    return [
        ChainedEvent(row.seq, row.lot_code, row.lot_seq, row.event_hash, row.prev_hash)
        for row in rows
        if row.schema_version == 2 and row.seq in leaves
    ]


def _claim(
    session: Session, batch_id: int, leaves: dict[int, bytes], proofs: dict[bytes, list[bytes]]
) -> None:
    """Point each event at the batch, but only if it is still unclaimed (one executemany)."""
    table = Event.__table__  # type: ignore[attr-defined]
    statement = (
        table.update()
        .where(table.c.seq == bindparam("b_seq"), table.c.batch_id.is_(None))
        .values(batch_id=batch_id, leaf=bindparam("b_leaf"), merkle_proof=bindparam("b_proof"))
    )
    params = [
        {"b_seq": seq, "b_leaf": to_hex(leaf), "b_proof": [to_hex(n) for n in proofs[leaf]]}
        for seq, leaf in leaves.items()
    ]
    session.connection().execute(statement, params)


def build_batch(
    engine: Engine,
    *,
    max_events: int,
    max_delay_s: float,
    force: bool = False,
    now: datetime | None = None,
) -> BuiltBatch | None:
    """Store the next batch if one is due (``force``: whatever is pending); None otherwise."""
    now = now or utcnow()
    with Session(engine, expire_on_commit=False) as session:
        heads = HeadsStep.begin(session)
        rows = _select_pending(session, limit=max_events)
        due = partial(_due, force=force, max_events=max_events, max_delay_s=max_delay_s, now=now)
        if not due(rows):
            return None
        leaves = _leaves(rows)
        chained = _chained(rows, leaves)
        refused = heads.refused(chained)
        if refused:  # never anchored out of order: they wait (or read tampered)
            rows = [row for row in rows if row.seq not in refused]
            leaves = {seq: leaf for seq, leaf in leaves.items() if seq not in refused}
            chained = [event for event in chained if event.seq not in refused]
            if not due(rows):  # rows held back do not make a batch due by themselves
                return None
        if not leaves:
            return None
        tree = MerkleTree.build(list(leaves.values()))
        proofs = tree.proofs()
        batch = Batch(root=to_hex(tree.root), event_count=len(leaves), status=BatchStatus.PENDING)
        session.add(batch)
        try:
            session.flush()
        except IntegrityError as exc:
            # The same pending rows give the same root: another pass (the worker thread, an
            # admin's flush, another process on SQLite) stored this batch a moment ago.
            session.rollback()
            raise BatchContended(f"batch {batch.root} was stored by another pass") from exc
        assert batch.id is not None
        _claim(session, batch.id, leaves, proofs)
        claimed = session.exec(
            select(func.count()).select_from(Event).where(col(Event.batch_id) == batch.id)
        ).one()
        if claimed != len(leaves):
            session.rollback()
            raise BatchContended(f"claimed {claimed} of {len(leaves)} events; retrying later")
        heads.apply(batch, chained)
        session.commit()
        heads.publish()
        logger.info("batch %s stored: %d events, root %s", batch.id, len(leaves), batch.root)
        return BuiltBatch(batch_id=batch.id, root=batch.root, event_count=len(leaves))


def pending_event_count(engine: Engine) -> int:
    """Events accepted but not in any batch yet."""
    with Session(engine) as session:
        return session.exec(
            select(func.count()).select_from(Event).where(col(Event.batch_id).is_(None))
        ).one()
