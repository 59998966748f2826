"""``sentrace heads rebuild --replay``: the heads history replayed batch by batch.

docs/proof-rules.md, section 10: the contract only checks that heads roots form one chain, not
that each root follows from its batch's documents. An audit that holds every event replays
the history: for every batch in id order, its ``prev_heads_root`` must be the root so far,
and moving each of its lots to the lot's highest seq in it must give its ``heads_root``. The
first batch where either fails is where the stored history stops being explained by the
events (a head moved backwards, a lot dropped, an anchored event edited or deleted). A batch
that seals v1 lots holds no events: it moves the heads ``sealed`` says it sealed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from itertools import groupby, islice

from sqlmodel import Session, col, select

from backend.hashing import HashingError, HeadsMap, MemoryNodeStore, from_hex, lot_key
from backend.hashing.heads import ZERO
from backend.models import Batch, Event, Lot
from backend.services.anchoring.heads.sealed import SealedHead, sealable_heads, sealing_batches

#: Events read from the database per round trip while replaying.
_ROWS_PER_FETCH = 5000

_Head = tuple[bytes, bytes, int]  # (lot_key, head_hash, seq)


class Break(StrEnum):
    """Why a batch is not explained by the history before it and its own events."""

    PREV = "prev"  # it does not start from the root the batches before it left
    HEADS = "heads"  # its events do not move the map to the root it records
    UNREADABLE = "unreadable"  # one of its events has a hash or lot code that cannot be hashed


@dataclass(frozen=True)
class HeadsReplay:
    """How far the history replays; ``broken_at`` None when every batch is explained."""

    batches: int  # batches replayed and found right
    broken_at: int | None = None  # the first batch that is not
    why: Break | None = None


def replay_heads(session: Session) -> HeadsReplay:
    """Replay every batch's heads in id order from the empty map; stop at the first break."""
    heads, root, replayed = HeadsMap(MemoryNodeStore()), ZERO, 0
    moves = _moves_by_batch(session)
    sealing, sealable = dict(sealing_batches(session)), iter(sealable_heads(session))
    batch_moves = next(moves, None)
    batches = session.exec(
        select(Batch.id, Batch.prev_heads_root, Batch.heads_root).order_by(col(Batch.id))
    ).all()
    for batch_id, prev, recorded in batches:
        mine: list[_Head] | Break = []
        if batch_moves is not None and batch_moves[0] == batch_id:
            mine = batch_moves[1]
            batch_moves = next(moves, None)
        if batch_id in sealing:  # no events: it moves the next lots sealed in lot id order
            mine = _sealed_moves(list(islice(sealable, sealing[batch_id])))
        if isinstance(mine, Break):
            return HeadsReplay(replayed, batch_id, mine)
        if prev is None or recorded is None:  # stored before rules v2: no heads to move
            if mine:
                return HeadsReplay(replayed, batch_id, Break.HEADS)
            continue
        if not _is(prev, root):
            return HeadsReplay(replayed, batch_id, Break.PREV)
        try:
            root = heads.set_heads(mine)
        except HashingError:  # a seq outside 1 … 2**64 - 1
            return HeadsReplay(replayed, batch_id, Break.UNREADABLE)
        if not _is(recorded, root):
            return HeadsReplay(replayed, batch_id, Break.HEADS)
        replayed += 1
    return HeadsReplay(replayed)


def _is(text: str, root: bytes) -> bool:
    """Whether a root a batch records (hex text) is ``root``; text that is no root is not."""
    try:
        return from_hex(text) == root
    except HashingError:
        return False


def _sealed_moves(sealed: list[SealedHead]) -> list[_Head] | Break:
    try:
        return [head.head for head in sealed]
    except HashingError:
        return Break.UNREADABLE


def _moves_by_batch(session: Session) -> Iterator[tuple[int, list[_Head] | Break]]:
    """Per batch (in id order), the head each of its lots moves to; or why it cannot be read."""
    statement = (
        select(Event.batch_id, Lot.code, Event.event_hash, Event.lot_seq)
        .join(Lot, col(Lot.id) == col(Event.lot_id))
        .where(col(Event.batch_id).is_not(None), Event.schema_version == 2)
        .order_by(col(Event.batch_id), col(Event.lot_id), col(Event.lot_seq))
        .execution_options(yield_per=_ROWS_PER_FETCH)
    )
    for batch_id, rows in groupby(session.exec(statement), key=lambda row: row[0]):
        newest: dict[str, tuple[str, int | None]] = {}
        for _, code, event_hash, seq in rows:
            newest[code] = (event_hash, seq)  # rows come by seq: the last one is the head
        try:
            moves = [(lot_key(code), from_hex(h), seq or 0) for code, (h, seq) in newest.items()]
        except HashingError:
            yield batch_id, Break.UNREADABLE
            continue
        yield batch_id, moves
