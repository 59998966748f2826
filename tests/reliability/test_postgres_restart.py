"""PostgreSQL is restarted (``pg_ctl stop -m fast`` … ``start``) while clients keep writing.

Writers record harvests and notes and readers ask for verdicts the whole time. Every answer is
kept: during the outage each failure must be a 503 with ``Retry-After`` and a JSON body (never
a 500, never a hang), and afterwards every event the server answered 2xx for must exist and be
anchored exactly once. A 503'd write may or may not have been stored (the connection can die
during the commit); it is simply not counted as accepted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy.engine import Engine

from backend.db import make_engine
from tests.reliability.live import (
    LiveLedger,
    assert_anchored_exactly_once,
    everything_confirmed,
    registry_client,
    wait_for,
)
from tests.reliability.pg_control import start_again, stop_fast
from tests.support.killable import KillableStack
from tests.support.postgres import PostgresCluster, start_cluster

pytestmark = [pytest.mark.slow, pytest.mark.anvil, pytest.mark.postgres]

WRITERS = 4
READERS = 2
BEFORE_S, OUTAGE_S, AFTER_S = 2.0, 4.0, 3.0


@dataclass
class Answer:
    phase: str
    method: str
    status: int
    retry_after: str | None
    json_body: bool
    event_id: str | None = None


@dataclass
class Traffic:
    """Every answer the clients got, tagged with the phase it arrived in."""

    phase: str = "before"
    answers: list[Answer] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, method: str, response: httpx.Response) -> Answer:
        try:
            body = response.json()
            json_body = isinstance(body, dict)
        except ValueError:
            body, json_body = None, False
        event_id = None
        if response.status_code in (200, 201) and isinstance(body, dict):
            event_id = body.get("id") or (body.get("event") or {}).get("id")
        answer = Answer(
            self.phase,
            method,
            response.status_code,
            response.headers.get("retry-after"),
            json_body,
            event_id,
        )
        with self.lock:
            self.answers.append(answer)
        return answer


@pytest.fixture
def own_cluster() -> Iterator[PostgresCluster]:
    cluster = start_cluster()
    try:
        yield cluster
    finally:
        cluster.stop()


def writer(base_url: str, headers: dict[str, str], index: int, traffic: Traffic) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        n = 0
        while not traffic.stop.is_set():
            code = f"PG-{index}-{n}"
            lot = {
                "code": code,
                "product": "xoai",
                "farm": "F-01",
                "quantity": "500",
                "unit": "kg",
                "harvested_at": "2026-05-01T06:30:00+07:00",
            }
            created = traffic.record("POST", http.post("/api/v1/lots", json=lot, headers=headers))
            n += 1
            if created.status != 201:
                continue
            for i in range(3):
                note = {
                    "type": "note",
                    "occurred_at": "2026-05-02T08:00:00Z",
                    "data": {"text": f"ghi chú {i}"},
                }
                path = f"/api/v1/lots/{code}/events"
                traffic.record("POST", http.post(path, json=note, headers=headers))


def reader(base_url: str, traffic: Traffic) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        while not traffic.stop.is_set():
            traffic.record("GET", http.get("/api/v1/lots/PG-0-0/verification"))
            traffic.record("GET", http.get("/api/v1/lots/PG-0-0"))


def test_no_accepted_event_is_lost_and_the_outage_answers_503(
    own_cluster: PostgresCluster, killable: KillableStack
) -> None:
    url = own_cluster.create_database()
    killable.start_server(database_url=url, chain_rpc_url=killable.start_anvil())
    server = killable.server
    engine: Engine = make_engine(url)
    traffic = Traffic()
    try:
        with server.client() as http:
            ledger = LiveLedger(http).setup()
            headers = ledger.headers[ledger.coop]
        threads = [
            threading.Thread(target=writer, args=(server.url, headers, i, traffic))
            for i in range(WRITERS)
        ] + [threading.Thread(target=reader, args=(server.url, traffic)) for _ in range(READERS)]
        for thread in threads:
            thread.start()
        time.sleep(BEFORE_S)
        traffic.phase = "outage"
        stop_fast(own_cluster)
        time.sleep(OUTAGE_S)
        start_again(own_cluster)
        traffic.phase = "after"
        time.sleep(AFTER_S)
        traffic.stop.set()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads), "a client hung"

        answers = traffic.answers
        failures = [a for a in answers if a.status >= 500]
        assert all(a.status == 503 for a in failures), sorted({a.status for a in failures})
        assert all(a.retry_after and a.retry_after.isdigit() for a in failures)
        assert all(a.json_body for a in answers)
        outage_writes = [a for a in answers if a.phase == "outage" and a.method == "POST"]
        assert any(a.status == 503 for a in outage_writes), "the outage was never seen"
        assert any(a.status == 201 for a in answers if a.phase == "after"), "no recovery"

        accepted = [a.event_id for a in answers if a.event_id and a.method == "POST"]
        with server.client() as http:
            ledger.http = http
            wait_for(lambda: everything_confirmed(engine, accepted), timeout=120, what="anchoring")
            chain = registry_client(killable.anvil, ledger.contract_address())
        assert_anchored_exactly_once(engine, chain, accepted)
    finally:
        traffic.stop.set()
        engine.dispose()
