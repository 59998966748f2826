"""Public reads on a real PostgreSQL streaming replica (pg_basebackup, hot standby).

The consumer page, the verification JSON and the proof bundle are read on the replica and
scans are written on the primary; a replica that lags behind (its replay paused while the
primary records and anchors more) never makes a lot read as tampered or unknown; a replica
that is down costs a read on the primary, never an error.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session, func, select

from backend.app import create_app
from backend.http.public_reads import verdict_trusted
from backend.models import Scan
from backend.runtime import Runtime
from backend.services.verification.engine import verify_lot
from tests.support.app import Actors
from tests.support.postgres import PostgresCluster, start_replica
from tests.web.conftest import PHONE, consumer_runtime
from tests.web.scenario import CHILD, MANGO_GTIN, PLAIN, VERIFIED, anchor_everything, build_world

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _lsn(url: str, query: str) -> int:
    with psycopg.connect(_plain(url), autocommit=True) as connection:
        row = connection.execute(f"SELECT {query} - '0/0'::pg_lsn").fetchone()
    assert row is not None and row[0] is not None
    return int(row[0])


def _caught_up(primary_url: str, replica_url: str) -> None:
    """Waits until the replica has replayed everything the primary has written so far."""
    target = _lsn(primary_url, "pg_current_wal_lsn()")
    deadline = time.monotonic() + 60
    while _lsn(replica_url, "pg_last_wal_replay_lsn()") < target:
        assert time.monotonic() < deadline, "the replica never caught up"
        time.sleep(0.05)


def _replay(replica_url: str, *, paused: bool) -> None:
    with psycopg.connect(_plain(replica_url), autocommit=True) as connection:
        verb = "pause" if paused else "resume"
        connection.execute(f"SELECT pg_wal_replay_{verb}()")


class StatementCount:
    """Statements an engine ran: proof of which database answered."""

    def __init__(self, engine: Any) -> None:
        self.count = 0
        self.statements: list[str] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _connection: object, _cursor: object, statement: str, *_: object) -> None:
        self.count += 1
        self.statements.append(statement)


@dataclass
class World:
    client: TestClient
    runtime: Runtime
    actors: Actors
    primary_url: str
    replica_url: str
    replica: PostgresCluster


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, postgres_cluster: PostgresCluster
) -> Iterator[World]:
    """One world for the module (building it takes a while on PostgreSQL); the test that stops
    the replica comes last."""
    primary_url = postgres_cluster.create_database()
    replica = start_replica(postgres_cluster)
    replica_url = replica.base_url + primary_url.rsplit("/", 1)[1]
    data = tmp_path_factory.mktemp("replica")
    runtime = consumer_runtime(
        data,
        database_url=primary_url,
        database_replica_urls=replica_url,
        webhook_poll_s=0,  # no background polling of the primary to blur the count below
    )
    try:
        with TestClient(create_app(runtime)) as client:
            actors = build_world(client, runtime)
            _caught_up(primary_url, replica_url)
            yield World(client, runtime, actors, primary_url, replica_url, replica)
    finally:
        runtime.close()
        replica.stop()
        postgres_cluster.drop_database(primary_url)


def _verdict(client: TestClient, code: str) -> str:
    response = client.get(f"/api/v1/lots/{code}/verification")
    assert response.status_code == 200, response.text
    verdict: str = response.json()["verdict"]
    return verdict


def _scans(runtime: Runtime) -> int:
    with Session(runtime.engine) as session:
        return int(session.exec(select(func.count()).select_from(Scan)).one())


def test_public_reads_run_on_the_replica_and_scans_are_written_on_the_primary(
    world: World,
) -> None:
    client, runtime = world.client, world.runtime
    assert runtime.replicas is not None
    on_replica = StatementCount(runtime.replicas.engines[0])
    on_primary = StatementCount(runtime.engine)

    assert _verdict(client, VERIFIED) == "verified"
    page = client.get(f"/l/{CHILD}")
    assert page.status_code == 200 and 'data-verdict="verified"' in page.text
    proof = client.get(f"/api/v1/lots/{CHILD}/proof")
    assert proof.status_code == 200 and proof.json()["lot"] == CHILD
    assert on_replica.count > 0
    assert on_primary.statements == [], "a trusted public read touched the primary"

    scans = _scans(runtime)
    scanned = client.get(f"/01/{MANGO_GTIN}/10/{CHILD}/21/0001", headers=PHONE)
    assert scanned.status_code == 200
    assert _scans(runtime) == scans + 1  # the scan is on the primary


def test_a_lagging_replica_never_makes_a_lot_read_as_tampered_or_unknown(world: World) -> None:
    client, runtime, actors = world.client, world.runtime, world.actors
    replica_url = world.replica_url
    assert runtime.replicas is not None
    _replay(replica_url, paused=True)
    try:
        note = {"type": "note", "occurred_at": "2026-05-05T08:00:00+07:00", "data": {"text": "x"}}
        actors.post(f"/api/v1/lots/{PLAIN}/events", "htx", note)
        anchor_everything(runtime)  # the chain now holds a heads map the replica lacks
        new = {"code": "XOAI-LAG-1", "product": "xoai", "farm": "F-01", "quantity": "10",
               "unit": "kg", "harvested_at": "2026-05-05T06:00:00+07:00"}  # fmt: skip
        actors.post("/api/v1/lots", "htx", new)

        view = runtime.chain_view()
        with Session(runtime.replicas.engines[0]) as stale:
            behind = verify_lot(stale, code=PLAIN, view=view)
            assert verify_lot(stale, code="XOAI-LAG-1", view=view) is None
        with Session(runtime.engine) as session:
            truth = verify_lot(session, code=PLAIN, view=view)
        assert truth is not None and str(truth.verdict) == "verified"

        answered = _verdict(client, PLAIN)
        assert answered in ("verified", "pending")
        if not verdict_trusted(behind):  # the replica alone would have said worse
            assert answered == "verified"
        assert _verdict(client, "XOAI-LAG-1") == "pending"  # known on the primary alone
        assert client.get("/l/XOAI-LAG-1").status_code == 200
        assert 'data-verdict="tampered"' not in client.get(f"/l/{PLAIN}").text
    finally:
        _replay(replica_url, paused=False)
    _caught_up(world.primary_url, replica_url)
    assert _verdict(client, PLAIN) == "verified"


def test_a_replica_that_is_down_costs_a_read_on_the_primary_not_an_error(world: World) -> None:
    client, runtime = world.client, world.runtime
    world.replica.stop()
    assert runtime.replicas is not None
    runtime.replicas.engines[0].dispose()  # no pooled connection from before survives
    assert _verdict(client, VERIFIED) == "verified"
    assert client.get(f"/l/{CHILD}").status_code == 200
    assert client.get(f"/api/v1/lots/{CHILD}/proof").status_code == 200
