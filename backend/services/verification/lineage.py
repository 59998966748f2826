"""Everything stored about a lot and the lots it came from, loaded in a handful of queries.

Verification and the proof bundle both start here: the lot, its ancestors (split and merge,
nearest generation first), every event of each, the organisations that recorded them, the
batches they sit in (with how many event rows each batch still has), and the outbox rows that
carried milestones and recalls to the chain.

The consumer page and the verification endpoint load a lineage on every read, so this is the
hottest path of the read side. It runs five Core ``select()`` statements over the table columns
(the lot and all its ancestors in one recursive query, events of them all in one, batches with
their row counts in one, organisations in one, milestones and recalls in one) on the session's
connection, after flushing what the session holds as its own ``execute`` would (that path adds
the ORM's dispatch to every statement), and keeps the rows SQLAlchemy hands back. A row
answers the same attribute names with the same Python values as the ORM object of that table
(the column types do the conversion in both cases), but costs no identity map, no instance
state and no flush bookkeeping; about a third of the CPU of loading ORM objects. The rows are
read-only: nothing reached through a :class:`Lineage` may be changed or added to a session.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any, cast

from sqlalchemy import Connection, Table, and_, bindparam, func, or_, select
from sqlmodel import Session

from backend.hashing import lot_key, to_hex
from backend.models import Batch, ChainAction, ChainActionKind, Event, Lot, LotLink, Organisation
from backend.services.anchoring.heads.proofs import HeadProofAt, head_proof

_LOT: Table = cast(Table, Lot.__table__)
_EVENT: Table = cast(Table, Event.__table__)
_BATCH: Table = cast(Table, Batch.__table__)
_ORG: Table = cast(Table, Organisation.__table__)
_ACTION: Table = cast(Table, ChainAction.__table__)
_LINK: Table = cast(Table, LotLink.__table__)
_ROWS = "rows_present"

# The statements are built once: constructing a ``select()`` costs more CPU than running it
# from SQLAlchemy's compiled cache, and this path runs on every scan. Lists are expanding
# parameters, so one statement serves any number of ids.
#: The lot and every lot it descends from, each with the id of one of its parents per row (a
#: lot with several parents comes once per parent, one without any once, with NULL): the
#: whole ancestry in one query, however many generations deep. ``UNION`` keeps each id once,
#: so even a cycle written into the links behind the application's back ends the recursion.
_PARENT = "lineage_parent_id"
_UP = (
    select(_LOT.c.id.label("id")).where(_LOT.c.code == bindparam("code")).cte("up", recursive=True)
)
_UP = _UP.union(select(_LINK.c.parent_id).join(_UP, _LINK.c.child_id == _UP.c.id))
_LOTS_UP = (
    select(_LOT, _LINK.c.parent_id.label(_PARENT))
    .join(_UP, _UP.c.id == _LOT.c.id)
    .outerjoin(_LINK, _LINK.c.child_id == _LOT.c.id)
    .order_by(_LOT.c.id)
)
_EVENTS = (
    select(_EVENT)
    .where(_EVENT.c.lot_id.in_(bindparam("lots", expanding=True)))
    .order_by(_EVENT.c.occurred_at, _EVENT.c.seq)
)
_BATCHES = select(
    _BATCH,
    select(func.count())
    .select_from(_EVENT)
    .where(_EVENT.c.batch_id == _BATCH.c.id)
    .scalar_subquery()
    .label(_ROWS),
).where(_BATCH.c.id.in_(bindparam("batches", expanding=True)))
_ORGS = select(_ORG).where(_ORG.c.id.in_(bindparam("orgs", expanding=True)))
_MILESTONES_AND_RECALLS = (
    select(_ACTION)
    .where(
        or_(
            and_(
                _ACTION.c.kind == ChainActionKind.LOT_EVENT,
                # By the lots, not a list of every event id: a long ancestry would render
                # hundreds of parameters into the statement on every read.
                _ACTION.c.event_id.in_(
                    select(_EVENT.c.id).where(
                        _EVENT.c.lot_id.in_(bindparam("action_lots", expanding=True))
                    )
                ),
            ),
            and_(
                _ACTION.c.kind == ChainActionKind.RECALL,
                _ACTION.c.lot_key.in_(bindparam("lot_keys", expanding=True)),
            ),
        )
    )
    .order_by(_ACTION.c.id)
)


HeadProver = Callable[[bytes, bytes], HeadProofAt | None]


@dataclass(frozen=True)
class LotRecord:
    """One lot with its events in time order."""

    lot: Lot
    events: list[Event]

    @cached_property
    def lot_key_bytes(self) -> bytes:
        """keccak256 of the lot code (rule 3), computed once per lot rather than per event."""
        return lot_key(self.lot.code)

    @cached_property
    def lot_key(self) -> str:
        return to_hex(self.lot_key_bytes)


@dataclass(frozen=True)
class Lineage:
    """A lot, its ancestors, and the rows needed to judge their events."""

    record: LotRecord
    ancestors: list[LotRecord]
    orgs: dict[int, Organisation]
    batches: dict[int, Batch]
    rows_per_batch: dict[int, int]
    milestones: dict[str, ChainAction]  # event id → recordLotEvent action
    recalls: dict[str, ChainAction]  # lot key (0x hex) → recall action
    #: ``(lot_key, heads_root) -> proof`` from the versioned heads map (rules v2), bound to the
    #: session the lineage was read in; None where no map is at hand.
    prove_head: HeadProver | None = None

    @property
    def records(self) -> list[LotRecord]:
        return [self.record, *self.ancestors]


def normalise_code(code: str) -> str:
    """Lot codes arrive from URLs in NFC or NFD; they are stored NFC."""
    return unicodedata.normalize("NFC", code)


def load_lineage(session: Session, code: str) -> Lineage | None:
    """The lineage of the lot named ``code``, or None when there is no such lot."""
    code = normalise_code(code)
    session.flush()  # what the session's own execute would do first (a no-op when clean)
    connection = session.connection()
    found = _lots_up(connection, code)
    if found is None:
        return None
    lots = [found[0], *found[1]]
    events = _events(connection, [row.id for row in lots])
    records = [LotRecord(lot=cast(Lot, row), events=events.get(row.id, [])) for row in lots]
    every_event = [event for record in records for event in record.events]
    batches, rows_per_batch = _batches(connection, {e.batch_id for e in every_event})
    milestones, recalls = _actions(connection, [row.id for row in lots], records)
    return Lineage(
        record=records[0],
        ancestors=records[1:],
        orgs=_orgs(connection, {e.org_id for e in every_event}),
        batches=batches,
        rows_per_batch=rows_per_batch,
        milestones=milestones,
        recalls=recalls,
        prove_head=partial(_prove_head, session),
    )


def _prove_head(session: Session, lot_key: bytes, heads_root: bytes) -> HeadProofAt | None:
    return head_proof(session, lot_key=lot_key, heads_root=heads_root)


def _lots_up(connection: Connection, code: str) -> tuple[Any, list[Any]] | None:
    """The lot named ``code`` and every lot it descends from, nearest generation first (a
    generation in lot id order), each once; None when there is no such lot."""
    rows: dict[int, Any] = {}
    parents: dict[int, list[int]] = {}
    for row in connection.execute(_LOTS_UP, {"code": code}):
        rows.setdefault(row.id, row)
        parent = getattr(row, _PARENT)
        if parent is not None:
            parents.setdefault(row.id, []).append(parent)
    lot = next((row for row in rows.values() if row.code == code), None)
    if lot is None:
        return None
    seen: set[int] = {lot.id}
    ancestors: list[Any] = []
    frontier = [lot.id]
    while frontier:
        generation = sorted({p for c in frontier for p in parents.get(c, ()) if p not in seen})
        seen.update(generation)
        ancestors.extend(rows[p] for p in generation)
        frontier = generation
    return lot, ancestors


def _events(connection: Connection, lot_ids: Sequence[int]) -> dict[int, list[Event]]:
    """Events of the lots, per lot, in time order (ties in the order they were recorded)."""
    per_lot: dict[int, list[Event]] = {}
    for row in connection.execute(_EVENTS, {"lots": list(lot_ids)}):
        per_lot.setdefault(row.lot_id, []).append(cast(Event, row))
    return per_lot


def _batches(
    connection: Connection, batch_ids: Iterable[int | None]
) -> tuple[dict[int, Batch], dict[int, int]]:
    """The batches named, and how many event rows each still holds, in one query."""
    ids = sorted(i for i in batch_ids if i is not None)
    if not ids:
        return {}, {}
    rows = connection.execute(_BATCHES, {"batches": ids}).all()
    batches = {row.id: cast(Batch, row) for row in rows}
    counts = {row.id: int(row[-1]) for row in rows if row[-1]}
    return batches, counts


def _orgs(connection: Connection, org_ids: set[int]) -> dict[int, Organisation]:
    if not org_ids:
        return {}
    rows = connection.execute(_ORGS, {"orgs": sorted(org_ids)})
    return {row.id: cast(Organisation, row) for row in rows}


def _actions(
    connection: Connection, lot_ids: list[int], records: list[LotRecord]
) -> tuple[dict[str, ChainAction], dict[str, ChainAction]]:
    """Milestone actions of the lots' events by event id, and recall actions of the lots by
    lot key, in one query."""
    lot_keys = [record.lot_key for record in records]
    milestones: dict[str, ChainAction] = {}
    recalls: dict[str, ChainAction] = {}
    parameters = {"action_lots": lot_ids, "lot_keys": lot_keys}
    rows = connection.execute(_MILESTONES_AND_RECALLS, parameters)
    for row in rows:
        if row.kind is ChainActionKind.RECALL:
            recalls[row.lot_key.lower()] = cast(ChainAction, row)
        elif row.event_id is not None:
            milestones[row.event_id] = cast(ChainAction, row)
    return milestones, recalls
