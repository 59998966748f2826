"""bench.ingest_http's bookkeeping against the real API and database (SQLite, then PostgreSQL).

The wrk runs themselves are proved by tests/bench/test_wrk.py and the quick bench; here the
claims the ingest figures rest on are checked one by one: the body templates wrk fills in are
accepted (201) by the real endpoints and differ by request number, :class:`StoredEvents`
counts exactly what was committed on its lots and sees a repeated body, and
:func:`check_stored` refuses a count that wrk's answers cannot explain.
"""

from __future__ import annotations

import json

import pytest

from backend.runtime import Runtime
from bench.ingest_http import (
    BATCH_EVENTS,
    BATCH_PATH,
    StoredEvents,
    StoredMismatch,
    batch_bodies,
    check_stored,
    single_bodies,
)
from bench.wrk import COUNTER
from tests.support.app import Actors, harvest_body

#: Two of each of the six event types the templates cycle through.
TEMPLATES_POSTED = 12


def filled(template: str, number: int) -> str:
    """What wrk sends for request ``number`` of ``template``."""
    return template.replace(COUNTER, str(number))


def make_lots(chain: Actors, *codes: str) -> list[str]:
    for code in codes:
        chain.post("/api/v1/lots", "htx", harvest_body(code=code))
    return list(codes)


def post_raw(chain: Actors, path: str, body: str) -> int:
    response = chain.client.post(
        path,
        content=body.encode("utf-8"),
        headers={**chain.headers["htx"], "Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    return response.status_code


def test_single_templates_are_accepted_and_counted(supply_chain: Actors, runtime: Runtime) -> None:
    codes = make_lots(supply_chain, "XOAI-W-00", "XOAI-W-01")
    stored = StoredEvents(runtime.engine, tuple(codes))
    assert stored.count() == 2  # the harvest events
    templates = single_bodies()
    assert all(COUNTER in template for template in templates)
    for number in range(TEMPLATES_POSTED):
        template = templates[number % len(templates)]
        post_raw(supply_chain, f"/api/v1/lots/{codes[number % 2]}/events", filled(template, number))
    assert stored.count() == 2 + TEMPLATES_POSTED
    assert stored.repeated_lines() == 0
    # The same template under two request numbers: two different events.
    post_raw(supply_chain, f"/api/v1/lots/{codes[0]}/events", filled(templates[0], 1_000))
    assert stored.repeated_lines() == 0
    # The same request number twice is what a broken counter would send: it is seen.
    post_raw(supply_chain, f"/api/v1/lots/{codes[1]}/events", filled(templates[0], 1_000))
    assert stored.count() == 2 + TEMPLATES_POSTED + 2
    assert stored.repeated_lines() == 1


def test_batch_templates_stay_on_their_clients_lots(supply_chain: Actors, runtime: Runtime) -> None:
    mine = make_lots(supply_chain, "XOAI-B-00-0", "XOAI-B-00-1")
    theirs = make_lots(supply_chain, "XOAI-B-01-0", "XOAI-B-01-1")
    templates = batch_bodies([mine, theirs])
    assert len(templates) == 2
    first = json.loads(filled(templates[0], 0))["events"]
    assert len(first) == BATCH_EVENTS
    assert {item["lot"] for item in first} == set(mine)
    assert len({item["data"]["note"] for item in first}) == BATCH_EVENTS
    post_raw(supply_chain, BATCH_PATH, filled(templates[0], 0))
    post_raw(supply_chain, BATCH_PATH, filled(templates[0], 2))
    on_mine, on_theirs = (
        StoredEvents(runtime.engine, tuple(mine)),
        StoredEvents(runtime.engine, tuple(theirs)),
    )
    assert on_mine.count() == 2 + 2 * BATCH_EVENTS
    assert on_mine.repeated_lines() == 0
    assert on_theirs.count() == 2


def test_check_stored_takes_only_what_the_answers_explain() -> None:
    check_stored(100, 100, 16, "exact")
    check_stored(116, 100, 16, "every request in flight stored after wrk stopped")
    with pytest.raises(StoredMismatch, match="99 events"):
        check_stored(99, 100, 16, "an answer counted but not stored")
    with pytest.raises(StoredMismatch, match="117 events"):
        check_stored(117, 100, 16, "more stored than could have been in flight")


def test_process_scaling_rows_hold_postgresql_with_four_processes_to_the_target() -> None:
    from bench.ingest_rows import SCALING_TARGET, Throughput, scaling_rows
    from bench.results import SectionResult

    result = SectionResult("ingest", "Ingest")
    singles = {1: Throughput(1_000, 10.0), 2: Throughput(1_500, 10.0), 4: Throughput(1_600, 10.0)}
    scaling_rows(result, "PostgreSQL", singles)
    two, four = result.rows
    assert two.ratio == pytest.approx(1.5) and two.holds is None
    assert four.ratio == pytest.approx(1.6) and four.holds is (SCALING_TARGET <= 1.6) is False
    scaling_rows(result, "SQLite", {1: Throughput(10, 1.0), 4: Throughput(30, 1.0)})
    assert result.rows[-1].holds is None  # SQLite has one writer: no target
    before = len(result.rows)
    scaling_rows(result, "PostgreSQL", {2: Throughput(10, 1.0)})  # no 1-process baseline
    assert len(result.rows) == before
