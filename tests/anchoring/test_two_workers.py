"""Two anchoring workers on one PostgreSQL database: every event in exactly one batch.

Each worker has its own engine (its own connections, as two processes would) and both start
at the same moment. Batch building is guarded by ``SELECT … FOR UPDATE SKIP LOCKED`` plus a
claim that only takes unclaimed rows; sending by an advisory lock. If either guard were
missing, two batches would claim the same events and at least one batch would hold fewer rows
than it anchored.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.db import make_engine
from backend.hashing import from_hex
from backend.models import BatchStatus, Event
from backend.runtime import Runtime
from backend.services.anchoring.batching import build_batch
from backend.services.anchoring.service import AnchoringService
from tests.support.app import Actors
from tests.support.ledger_flow import batches, events, harvest, note, pending_events

pytestmark = pytest.mark.postgres

LOTS = 4
NOTES_PER_LOT = 24
BATCH_SIZE = 5


@pytest.fixture
def database_url(postgres_url: str) -> str:
    return postgres_url


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"batch_max_events": BATCH_SIZE, "batch_max_delay_s": 3600}


def _record_events(actors: Actors) -> int:
    for lot in range(LOTS):
        code = f"LO-{lot}"
        harvest(actors, code)
        for i in range(NOTES_PER_LOT):
            note(actors, code, f"Ghi chú {i} của lô {lot}")
    return LOTS * (NOTES_PER_LOT + 1)


def _run_together(*workers: Any) -> list[BaseException]:
    barrier = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def run(work: Any) -> None:
        barrier.wait()
        try:
            work()
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return errors


def _assert_each_event_in_exactly_one_batch(runtime: Runtime, total: int) -> None:
    assert pending_events(runtime.engine) == 0
    stored = batches(runtime.engine)
    with Session(runtime.engine) as session:
        rows = dict(
            session.exec(select(Event.batch_id, func.count()).group_by(col(Event.batch_id))).all()
        )
    assert {b.id: b.event_count for b in stored} == rows
    assert sum(b.event_count for b in stored) == total == len(events(runtime.engine))


def test_two_builders_at_once_never_put_an_event_in_two_batches(
    runtime: Runtime, supply_chain: Actors
) -> None:
    total = _record_events(supply_chain)
    url = runtime.settings.resolved_database_url
    engines = [runtime.engine, make_engine(url)]
    built: Counter[int] = Counter()

    def builder(index: int) -> Any:
        def work() -> None:
            while build_batch(engines[index], max_events=BATCH_SIZE, max_delay_s=0, force=True):
                built[index] += 1

        return work

    try:
        errors = _run_together(builder(0), builder(1))
    finally:
        engines[1].dispose()

    assert errors == []
    _assert_each_event_in_exactly_one_batch(runtime, total)
    assert sum(built.values()) == len(batches(runtime.engine))


@pytest.mark.slow  # two anchoring workers racing on anvil
def test_two_workers_at_once_anchor_every_event_once(
    runtime: Runtime, supply_chain: Actors
) -> None:
    total = _record_events(supply_chain)
    second_engine = make_engine(runtime.settings.resolved_database_url)
    services = [
        runtime.anchoring,
        AnchoringService(
            engine=second_engine, settings=runtime.settings, chain=runtime.require_chain
        ),
    ]

    def worker(service: AnchoringService) -> Any:
        def work() -> None:
            for _ in range(200):
                report = service.run_once(force=True)
                open_batches = [
                    b for b in batches(service.engine) if b.status is not BatchStatus.CONFIRMED
                ]
                if not (report.more_work or open_batches or pending_events(service.engine)):
                    return

        return work

    try:
        errors = _run_together(*(worker(s) for s in services))
    finally:
        second_engine.dispose()

    assert errors == []
    _assert_each_event_in_exactly_one_batch(runtime, total)
    stored = batches(runtime.engine)
    assert {b.status for b in stored} == {BatchStatus.CONFIRMED}
    chain = runtime.require_chain()
    anchors = [chain.anchor_receipt(from_hex(b.root)) for b in stored]
    assert all(anchor is not None for anchor in anchors)
    assert len({a.tx_hash for a in anchors if a}) == len(stored)  # one anchorBatch per batch
    assert all(chain.anchor_of(from_hex(b.root)).event_count == b.event_count for b in stored)  # type: ignore[union-attr]
