"""Rules-v2 events written straight into the database, for the heads-map tests.

The events here are rows, not documents: the heads map reads only ``lot_seq``, ``event_hash``
and ``prev_hash``, so each event gets a made-up hash and the chaining columns a writer of
rules v2 would give it. Tests that need a wrong chain (a gap, a broken ``prev``) pass their
own values.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from backend.db import create_schema, make_engine
from backend.hashing import HeadsMap, MemoryNodeStore, from_hex, lot_key, to_hex
from backend.hashing.heads import ZERO
from backend.models import Batch, Event, EventType, Lot, Organisation, OrgRole, Product
from backend.services.anchoring.batching import BuiltBatch, build_batch

WHEN = datetime(2026, 5, 2, 8, 0, tzinfo=UTC)


@contextmanager
def migrated(database_url: str) -> Iterator[Engine]:
    """An engine on ``database_url`` (``database_url`` fixture: empty), migrated to head."""
    made = make_engine(database_url)
    try:
        create_schema(made)
        yield made
    finally:
        made.dispose()


@dataclass
class Ledger:
    """Lots and their events, inserted as rows; remembers each lot's newest event."""

    engine: Engine
    heads: dict[str, tuple[str, int]] = field(default_factory=dict)  # code → (hash, seq)
    _org_id: int = 0
    _product_id: int = 0

    def __post_init__(self) -> None:
        with Session(self.engine) as session:
            org = Organisation(slug="htx", name="HTX Mỹ Xương", role=OrgRole.COOPERATIVE)
            product = Product(code="xoai", name_vi="Xoài cát Hòa Lộc")
            session.add_all([org, product])
            session.commit()
            assert org.id is not None and product.id is not None
            self._org_id, self._product_id = org.id, product.id

    def lot(self, code: str) -> int:
        with Session(self.engine) as session:
            lot = Lot(
                code=code,
                product_id=self._product_id,
                quantity="100",
                unit="kg",
                custodian_org_id=self._org_id,
            )
            session.add(lot)
            session.commit()
            assert lot.id is not None
            return lot.id

    def event(
        self,
        code: str,
        *,
        lot_seq: int | None = None,
        prev_hash: str | bool | None = True,
        schema_version: int = 2,
    ) -> Event:
        """The lot's next event (``prev_hash=True``: chained to the newest one written)."""
        newest = self.heads.get(code)
        seq = lot_seq if lot_seq is not None else (newest[1] + 1 if newest else 1)
        if prev_hash is True:
            prev_hash = newest[0] if newest else None
        event_hash = to_hex(os.urandom(32))
        with Session(self.engine, expire_on_commit=False) as session:
            lot = session.exec(select(Lot).where(Lot.code == code)).one()
            assert lot.id is not None
            row = Event(
                lot_id=lot.id,
                type=EventType.NOTE,
                occurred_at=WHEN,
                org_id=self._org_id,
                data={},
                event_hash=event_hash,
                schema_version=schema_version,
                lot_seq=seq if schema_version == 2 else None,
                prev_hash=prev_hash if schema_version == 2 else None,  # type: ignore[arg-type]
            )
            session.add(row)
            session.commit()
        if schema_version == 2:
            self.heads[code] = (event_hash, seq)
        return row


@contextmanager
def ledger_on(database_url: str, *codes: str) -> Iterator[Ledger]:
    """A :class:`Ledger` on a migrated ``database_url``, with lots ``codes``."""
    with migrated(database_url) as engine:
        ledger = Ledger(engine)
        for code in codes:
            ledger.lot(code)
        yield ledger


def newest_heads_root(engine: Engine) -> str:
    """The heads root the newest batch records."""
    root = heads_batches(engine)[-1].heads_root
    assert root is not None
    return root


def build(engine: Engine, *, max_events: int = 1000) -> BuiltBatch | None:
    """Store a batch of whatever is pending (up to ``max_events``)."""
    return build_batch(engine, max_events=max_events, max_delay_s=0, force=True)


def heads_batches(engine: Engine) -> list[Batch]:
    with Session(engine) as session:
        return list(session.exec(select(Batch).order_by(col(Batch.id))).all())


def assert_history_matches(ledger: Ledger) -> None:
    """Each batch starts from its predecessor's heads root (the first from zero), and the
    newest one's is the map of the ledger's newest events."""
    before = to_hex(ZERO)
    for batch in heads_batches(ledger.engine):
        assert (batch.id, batch.prev_heads_root) == (batch.id, before)
        assert batch.heads_root is not None
        before = batch.heads_root
    assert before == to_hex(expected_root(ledger.heads))


def expected_root(heads: dict[str, tuple[str, int]]) -> bytes:
    """The root a map of exactly these heads has, computed in memory from scratch."""
    built = HeadsMap(MemoryNodeStore())
    return built.set_heads(
        (lot_key(code), from_hex(event_hash), seq) for code, (event_hash, seq) in heads.items()
    )
