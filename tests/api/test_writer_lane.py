"""SQLite writes of a process queue in one lane, off the request threads.

The lane's promise: while one write holds SQLite's writer lock, the writes behind it wait in
the lane's queue rather than asleep in SQLite's busy handler on request threads, so a request
that needs a thread of the general pool is still served. Without the lane, with two request
threads, two waiting writers take both threads and the read below waits for the first write
to finish.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

import backend.api.presenters as presenters
from backend.app import create_app
from backend.http.writer_lane import uses_lane
from backend.models import Event
from backend.runtime import Runtime
from tests.support.app import Actors, harvest_body, make_settings

LOT = "XOAI-LANE"
WAITING_WRITES = 6
#: Generous for a thread to start or a request to finish on a loaded machine.
PATIENCE_S = 60.0
#: How long the read may take while the first write is held: generous for a read, yet under
#: SQLite's 30 s busy timeout, after which a sleeping writer gives up and frees its thread.
READ_PATIENCE_S = 20.0


@pytest.fixture
def lane_runtime(tmp_path: Path) -> Iterator[Runtime]:
    """SQLite, two request threads (so two sleeping writers would take them all)."""
    url = f"sqlite:///{(tmp_path / 'ledger.db').as_posix()}"
    runtime = Runtime.create(make_settings(tmp_path / "data", url, request_threads=2))
    try:
        yield runtime
    finally:
        runtime.close()


def note(n: int) -> dict[str, Any]:
    return {
        "type": "note",
        "occurred_at": "2026-05-02T07:00:00+07:00",
        "data": {"text": f"ghi chú {n}"},
    }


def events_of(runtime: Runtime) -> int:
    with Session(runtime.engine) as session:
        return int(session.exec(select(func.count()).select_from(Event)).one())


def test_sqlite_writes_use_the_lane_unless_it_is_switched_off(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'ledger.db').as_posix()}"
    for switched_on in (True, False):
        settings = make_settings(tmp_path / "data", url, sqlite_writer_lane=switched_on)
        runtime = Runtime.create(settings)
        try:
            assert uses_lane(runtime) is switched_on
        finally:
            runtime.close()


def test_writes_waiting_for_the_database_leave_the_request_threads_free(
    lane_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered, release = threading.Event(), threading.Event()
    answered = presenters.event_accepted
    held_once = threading.Lock()

    def held_first(event: Event) -> Any:
        """The first write stops inside its transaction, SQLite's writer lock held."""
        if held_once.acquire(blocking=False):
            entered.set()
            assert release.wait(PATIENCE_S), "the test never released the first write"
        return answered(event)

    with TestClient(create_app(lane_runtime)) as client:
        actors = Actors(client)
        actors.org("htx", "cooperative")
        actors.post("/api/v1/farms", "htx", {"code": "F-01", "name": "Vườn", "commune": "X"})
        actors.post("/api/v1/products", "htx", {"code": "xoai", "name_vi": "Xoài cát Chu"})
        actors.post("/api/v1/lots", "htx", harvest_body(code=LOT))
        before = events_of(lane_runtime)
        monkeypatch.setattr(presenters, "event_accepted", held_first)

        statuses: list[int] = []

        def write(n: int) -> None:
            path = f"/api/v1/lots/{LOT}/events"
            response = client.post(path, json=note(n), headers=actors.headers["htx"])
            statuses.append(response.status_code)

        first = threading.Thread(target=write, args=(0,))
        first.start()
        assert entered.wait(PATIENCE_S)
        behind = [threading.Thread(target=write, args=(n,)) for n in range(1, WAITING_WRITES)]
        for thread in behind:
            thread.start()

        read: list[int] = []
        reader = threading.Thread(
            target=lambda: read.append(
                client.get("/api/v1/lots", headers=actors.headers["htx"]).status_code
            )
        )
        reader.start()
        reader.join(READ_PATIENCE_S)
        served_while_held = not reader.is_alive() and not release.is_set()
        release.set()
        for thread in (first, *behind, reader):
            thread.join(PATIENCE_S)

    assert served_while_held, "the read waited for the held write: writers took its threads"
    assert read == [200]
    assert statuses == [201] * WAITING_WRITES
    assert events_of(lane_runtime) == before + WAITING_WRITES
