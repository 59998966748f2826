"""Two builders at once never fork the heads history, on SQLite and on PostgreSQL.

Each builder has its own engine (its own connections, as two processes would). Both read
"the newest batch" to start from; without the builders' lock both could start from the same
one, and two batches would claim the same ``prev_heads_root``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from backend.db import make_engine
from backend.services.anchoring.heads import audit_heads
from tests.anchoring.heads_support import Ledger, assert_history_matches, build, ledger_on
from tests.support.ledger_flow import pending_events

LOTS = 6
EVENTS_PER_LOT = 12
BATCH_SIZE = 4


@pytest.fixture
def ledger(database_url: str) -> Iterator[Ledger]:
    with ledger_on(database_url, *(f"LO-{lot}" for lot in range(LOTS))) as made:
        yield made


def test_two_builders_at_once_keep_one_linear_heads_history(ledger: Ledger) -> None:
    engine = ledger.engine
    for _ in range(EVENTS_PER_LOT):
        for lot in range(LOTS):
            ledger.event(f"LO-{lot}")
    second = make_engine(engine.url.render_as_string(hide_password=False))
    barrier = threading.Barrier(2)

    def builder(made: Engine) -> int:
        barrier.wait()  # both start at the same moment
        built = 0
        while build(made, max_events=BATCH_SIZE):
            built += 1
        return built

    try:
        with ThreadPoolExecutor(2) as pool:
            built = list(pool.map(builder, [engine, second]))  # raises what a builder raised
    finally:
        second.dispose()

    assert pending_events(engine) == 0
    assert sum(built) == LOTS * EVENTS_PER_LOT // BATCH_SIZE
    assert_history_matches(ledger)
    with Session(engine) as session:
        assert audit_heads(session).agrees
