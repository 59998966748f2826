"""One batch's step in the heads map's linear history, taken inside the batch's transaction.

The contract accepts ``anchorBatch(root, count, prevHeadsRoot, headsRoot)`` only when
``prevHeadsRoot`` is its current heads root, so the batches stored here must form one chain:
each batch's ``prev_heads_root`` is the ``heads_root`` of the batch before it (by id), the
first one's is zero, and a batch without rules-v2 events carries the root unchanged. Two
builders working at once would both read the same predecessor and fork that chain, so a step
begins by taking a lock that only builders take (a transaction-scoped advisory lock on
PostgreSQL; on SQLite the database's write lock, which serialises every writer anyway),
before it reads the predecessor or any pending event, and holds it until the batch commits.

Heads only move forward along each lot's chain of documents (docs/proof-rules.md, section 6):
a lot's events in a batch must be the next seqs after its head in the map, each naming the
one before by ``prev``. An event that does not (a gap: its predecessor is still unanchored
outside the batch; a second document for a seq already anchored; a broken ``prev``) is left
out of the batch, with every later event of its lot, and logged: it is for verification to
call the lot tampered, not for anchoring to make the forgery part of the proven history.
The check reads the columns (``lot_seq``, ``prev_hash``) that the ledger fills from the
document; a verifier re-checks the documents themselves.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, func, text, update
from sqlmodel import Session, col, select

from backend.hashing import HashingError, HeadsMap, from_hex, head_leaf, lot_key, to_hex
from backend.hashing.heads import ZERO
from backend.models import Batch
from backend.services.anchoring.heads.store import SqlNodeStore

logger = logging.getLogger(__name__)

#: Advisory lock key of batch building ("SENTHEAD"), distinct from the sender's and the
#: migration runner's keys.
HISTORY_LOCK_KEY = 0x53454E5448454144

_BATCH = cast(Table, Batch.__table__)
#: SQLite's stand-in for the advisory lock: a write that changes nothing takes the write lock.
_TAKE_SQLITE_WRITE_LOCK = (
    update(_BATCH).where(_BATCH.c.id == bindparam("none")).values(id=_BATCH.c.id)
)


class HeadsHistoryError(RuntimeError):
    """The stored heads map disagrees with the roots its batches record; nothing is built.

    Anchoring on top of it would send a heads root that no rebuild can explain, so the pass
    fails loudly instead; ``sentrace heads rebuild`` shows where the two part.
    """


@dataclass(frozen=True)
class ChainedEvent:
    """A pending rules-v2 event, with what the heads map needs of it."""

    seq: int  # the event row (``Event.seq``), as batching names it
    lot_code: str
    lot_seq: int | None
    event_hash: str
    prev_hash: str | None


@dataclass(frozen=True)
class HeadsBase:
    """The map a new batch starts from: as of the newest batch, with the newest heads root.

    ``version`` is the newest batch's id (0: no batch yet) even when that batch records no
    roots, so that every stored node is read; ``root`` is the ``heads_root`` of the newest
    batch that records one (zero: none does). The two must describe the same map.
    """

    version: int
    root: bytes


def lock_history(session: Session) -> None:
    """Serialise batch builders until ``session``'s transaction ends; waits for the holder."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": HISTORY_LOCK_KEY})
    elif dialect == "sqlite":
        session.execute(_TAKE_SQLITE_WRITE_LOCK, {"none": -1})


def newest_base(session: Session) -> HeadsBase:
    """Where the next batch starts: the newest batch, and the newest heads root recorded."""
    newest = session.exec(select(func.max(Batch.id))).one() or 0
    found = session.exec(
        select(Batch.id, Batch.heads_root)
        .where(col(Batch.heads_root).is_not(None))
        .order_by(col(Batch.id).desc())
        .limit(1)
    ).first()
    if found is None:
        return HeadsBase(version=newest, root=ZERO)
    batch_id, root = found
    try:
        return HeadsBase(version=newest, root=from_hex(cast(str, root)))
    except HashingError as exc:
        raise HeadsHistoryError(
            f"batch {batch_id} records a heads root that is not a bytes32"
        ) from exc


class HeadsStep:
    """The heads map moved by one batch: begun before the batch is chosen, applied once stored.

    :meth:`begin` locks the history; :meth:`refused` opens the map as of the newest batch and
    says which pending events may not be anchored yet; :meth:`apply` moves the heads of the
    batch's events and records both roots on it; :meth:`publish` shares the new version's
    nodes with later readers once the transaction has committed. The newest batch is read
    only when there is something to build: a pass with nothing pending reads no roots.
    """

    def __init__(self, session: Session) -> None:
        self._session = session
        self._opened: tuple[HeadsBase, SqlNodeStore] | None = None
        self._writer: SqlNodeStore | None = None

    @classmethod
    def begin(cls, session: Session) -> HeadsStep:
        """Lock the history for this transaction: call it before reading anything."""
        lock_history(session)
        return cls(session)

    @property
    def base(self) -> HeadsBase:
        return self._open()[0]

    def _open(self) -> tuple[HeadsBase, SqlNodeStore]:
        """The newest batch's roots and the stored map as of it, checked against each other."""
        if self._opened is None:
            base = newest_base(self._session)
            reader = SqlNodeStore(self._session, base.version)
            stored = HeadsMap(reader).root
            if stored != base.root:
                raise HeadsHistoryError(
                    f"the stored heads map as of batch {base.version} has root "
                    f"{to_hex(stored)}, but the newest recorded heads root is {to_hex(base.root)}"
                )
            self._opened = (base, reader)
        return self._opened

    def refused(self, events: Iterable[ChainedEvent]) -> set[int]:
        """Rows (``Event.seq``) that do not extend their lot's head in order, each logged."""
        by_lot: dict[str, list[ChainedEvent]] = defaultdict(list)
        for event in events:
            by_lot[event.lot_code].append(event)
        _, reader = self._open()
        heads = HeadsMap(reader)
        refused: set[int] = set()
        for code, chain in by_lot.items():
            chain.sort(key=lambda event: -1 if event.lot_seq is None else event.lot_seq)
            for event in chain[_extending(heads, code, chain) :]:
                logger.error(
                    "event row %s (lot %s, seq %s) does not extend the lot's anchored head in "
                    "order; it is not anchored",
                    event.seq,
                    code,
                    event.lot_seq,
                )
                refused.add(event.seq)
        reader.publish()  # the base is committed: its reads serve the writer next
        return refused

    def apply(self, batch: Batch, events: Sequence[ChainedEvent]) -> None:
        """Move each lot's head to its newest event in ``batch`` and record both roots on it.

        ``events`` are the batch's rules-v2 events, already checked by :meth:`refused`. The
        changed nodes are written at version ``batch.id``, in the caller's transaction.
        """
        assert batch.id is not None, "the batch must be flushed first"
        base = self.base
        if batch.id <= base.version:
            raise HeadsHistoryError(
                f"batch {batch.id} is not newer than batch {base.version}: versioned "
                "reads of the heads map need increasing batch ids"
            )
        newest: dict[str, ChainedEvent] = {}
        for event in events:
            held = newest.get(event.lot_code)
            if held is None or (event.lot_seq or 0) > (held.lot_seq or 0):
                newest[event.lot_code] = event
        self._writer = SqlNodeStore(self._session, batch.id, base=base.version)
        heads = HeadsMap(self._writer)
        root = heads.set_heads(
            (lot_key(event.lot_code), from_hex(event.event_hash), cast(int, event.lot_seq))
            for event in newest.values()
        )
        self._writer.flush()
        batch.prev_heads_root = to_hex(base.root)
        batch.heads_root = to_hex(root)
        self._session.add(batch)

    def publish(self) -> None:
        """After the commit: later batches and proofs read this batch's map from the cache."""
        if self._writer is not None:
            self._writer.publish()


def _extending(heads: HeadsMap, code: str, chain: Sequence[ChainedEvent]) -> int:
    """How many of ``chain`` (one lot's events, by seq) continue the lot's head in order."""
    taken = 0
    try:
        key = lot_key(code)
        leaf = heads.leaf(key)
        for before, event in zip([None, *chain], chain, strict=False):
            if before is None:
                if not _continues_head(leaf, key, event):
                    break
            elif not _follows(before, event):
                break
            taken += 1
    except HashingError as exc:
        logger.error("lot %s: a pending event cannot be chained: %s", code, exc)
    return taken


def _follows(before: ChainedEvent, event: ChainedEvent) -> bool:
    """Whether ``event`` is the seq after ``before`` and names it by ``prev``."""
    return (
        event.lot_seq == cast(int, before.lot_seq) + 1
        and event.prev_hash is not None
        and from_hex(event.prev_hash) == from_hex(before.event_hash)
    )


def _continues_head(leaf: bytes, key: bytes, event: ChainedEvent) -> bool:
    """Whether ``event`` is the next after the head whose leaf the map holds for ``key``."""
    if event.lot_seq is None or event.lot_seq < 1:
        return False
    if event.lot_seq == 1:
        return event.prev_hash is None and leaf == ZERO
    if event.prev_hash is None:
        return False
    return leaf == head_leaf(key, from_hex(event.prev_hash), event.lot_seq - 1)
