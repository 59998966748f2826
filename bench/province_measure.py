"""What a province run leaves behind: database growth, WAL, anchored batches and their gas.

Sizes come from PostgreSQL itself (``pg_database_size``, ``pg_total_relation_size`` per table,
``pg_current_wal_lsn``), read before the day and again once everything the day wrote is
anchored and confirmed, so the growth includes what anchoring adds to each event (its batch,
leaf and proof) and the dead row versions those updates leave until vacuum reuses the space.
Gas is read from the chain's receipts of the transactions the database names (batches and
milestone actions made during the day); the size of each signed transaction, what an L2 pays
its L1 data fee on, comes from the stored raw bytes.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

from eth_typing import HexStr
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine

from backend.chain.providers import http_web3

CONFIRMED = "CONFIRMED"  # batchstatus as PostgreSQL stores it (the enum's name)
TOP_TABLES = 6


class NotAnchored(RuntimeError):
    """The day's events or milestones were not all confirmed on chain in time."""


def engine_for(url: str) -> Engine:
    return create_engine(url, pool_pre_ping=True)


@dataclass(frozen=True)
class Snapshot:
    """The database at one instant: sizes, WAL position and the highest ids so far."""

    database_bytes: int
    tables: dict[str, int]
    wal_lsn: int
    events: int
    scans: int
    last_batch: int
    last_action: int
    #: The event table's heap, its indexes, and the rest (TOAST, free space map, ...).
    event_parts: tuple[int, int, int] = (0, 0, 0)


def _one(connection: Connection, sql: str) -> int:
    return int(connection.execute(text(sql)).scalar() or 0)


def snapshot(engine: Engine) -> Snapshot:
    with engine.connect() as connection:
        tables = connection.execute(
            text(
                "SELECT relname, pg_total_relation_size(relid) FROM pg_stat_user_tables"
                " WHERE schemaname = 'public'"
            )
        ).all()
        return Snapshot(
            database_bytes=_one(connection, "SELECT pg_database_size(current_database())"),
            tables={str(name): int(size) for name, size in tables},
            wal_lsn=_one(connection, "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn"),
            events=_one(connection, "SELECT count(*) FROM event"),
            scans=_one(connection, "SELECT count(*) FROM scan"),
            last_batch=_one(connection, "SELECT coalesce(max(id), 0) FROM batch"),
            last_action=_one(connection, "SELECT coalesce(max(id), 0) FROM chainaction"),
            event_parts=_event_parts(connection),
        )


def _event_parts(connection: Connection) -> tuple[int, int, int]:
    heap, indexes, total = connection.execute(
        text(
            "SELECT pg_relation_size('event'), pg_indexes_size('event'),"
            " pg_total_relation_size('event')"
        )
    ).one()
    return int(heap), int(indexes), int(total) - int(heap) - int(indexes)


@dataclass(frozen=True)
class Growth:
    """From one snapshot to a later one."""

    before: Snapshot
    after: Snapshot

    @property
    def events(self) -> int:
        return self.after.events - self.before.events

    @property
    def database_bytes(self) -> int:
        return self.after.database_bytes - self.before.database_bytes

    @property
    def wal_bytes(self) -> int:
        return self.after.wal_lsn - self.before.wal_lsn

    def per_event(self, grown: int) -> float:
        return grown / self.events if self.events else 0.0

    def event_parts_per_event(self) -> tuple[float, float, float]:
        """Heap, indexes and the rest of the event table, bytes per event stored."""
        grown = [
            a - b for a, b in zip(self.after.event_parts, self.before.event_parts, strict=True)
        ]
        heap, indexes, rest = (self.per_event(g) for g in grown)
        return heap, indexes, rest

    def biggest_tables(self, count: int = TOP_TABLES) -> list[tuple[str, int]]:
        """The tables that grew most, with their growth in bytes."""
        grown = {
            name: size - self.before.tables.get(name, 0) for name, size in self.after.tables.items()
        }
        return sorted(grown.items(), key=lambda item: -item[1])[:count]


def unfinished(engine: Engine, since: Snapshot) -> int:
    """Events not yet in a batch, plus the day's batches and milestones not yet confirmed."""
    with engine.connect() as connection:
        left = connection.execute(
            text(
                "SELECT (SELECT count(*) FROM event WHERE batch_id IS NULL)"
                " + (SELECT count(*) FROM batch WHERE id > :batch AND status::text <> :done)"
                " + (SELECT count(*) FROM chainaction WHERE id > :action"
                "    AND status::text <> :done)"
            ),
            {"batch": since.last_batch, "action": since.last_action, "done": CONFIRMED},
        ).scalar()
    return int(left or 0)


def wait_anchored(engine: Engine, since: Snapshot, timeout_s: float) -> float:
    """Seconds until every event is batched and the day's batches and milestones are
    confirmed; :class:`NotAnchored` after ``timeout_s``."""
    started = time.monotonic()
    while (left := unfinished(engine, since)) > 0:
        if time.monotonic() - started > timeout_s:
            raise NotAnchored(
                f"{left} events, batches or milestones unconfirmed after {timeout_s:g} s"
            )
        time.sleep(0.5)
    return time.monotonic() - started


@dataclass
class Transactions:
    """Receipts of one kind of transaction: gas used and signed size in bytes, one per tx."""

    gas: list[int] = field(default_factory=list)
    raw_bytes: list[int] = field(default_factory=list)
    events: list[int] = field(default_factory=list)  # events per batch (anchors only)

    @property
    def count(self) -> int:
        return len(self.gas)

    def mean_gas(self) -> float:
        return statistics.fmean(self.gas) if self.gas else 0.0

    def mean_raw_bytes(self) -> float:
        return statistics.fmean(self.raw_bytes) if self.raw_bytes else 0.0

    def mean_events(self) -> float:
        return statistics.fmean(self.events) if self.events else 0.0


@dataclass(frozen=True)
class ChainCosts:
    anchors: Transactions
    milestones: Transactions


def _receipts(engine: Engine, rpc_url: str, sql: str, after: int) -> Transactions:
    """Gas of each transaction ``sql`` names (tx hash, events, signed size; bound ``:after``
    and ``:done``), read from the chain's receipts."""
    w3 = http_web3(rpc_url)
    out = Transactions()
    with engine.connect() as connection:
        rows = connection.execute(text(sql), {"after": after, "done": CONFIRMED}).all()
    for tx_hash, events, raw_size in rows:
        out.gas.append(int(w3.eth.get_transaction_receipt(HexStr(tx_hash))["gasUsed"]))
        out.raw_bytes.append(int(raw_size or 0))
        if events is not None:
            out.events.append(int(events))
    return out


ANCHORS = (
    "SELECT b.tx_hash, b.event_count, length(s.raw) FROM batch b"
    " LEFT JOIN senttx s ON s.tx_hash = b.tx_hash"
    " WHERE b.id > :after AND b.status::text = :done AND b.tx_hash IS NOT NULL ORDER BY b.id"
)
MILESTONES = (
    "SELECT a.tx_hash, NULL, length(s.raw) FROM chainaction a"
    " LEFT JOIN senttx s ON s.tx_hash = a.tx_hash"
    " WHERE a.id > :after AND a.status::text = :done AND a.tx_hash IS NOT NULL ORDER BY a.id"
)


def chain_costs(engine: Engine, rpc_url: str, since: Snapshot) -> ChainCosts:
    """The day's anchors and milestone transactions (ids after ``since``), with receipts."""
    return ChainCosts(
        _receipts(engine, rpc_url, ANCHORS, since.last_batch),
        _receipts(engine, rpc_url, MILESTONES, since.last_action),
    )
