"""Idempotency answers expire after SENTRACE_IDEMPOTENCY_TTL_H and are swept in the background."""

from __future__ import annotations

import time
from datetime import timedelta

import httpx
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select, update

from backend.http.idempotency import purge_expired
from backend.models import IdempotencyRecord, Lot
from backend.runtime import Runtime
from backend.timeutil import utcnow
from tests.support.app import Actors, harvest_body


def _count(runtime: Runtime, model: type) -> int:
    with Session(runtime.engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def _age(runtime: Runtime, key: str, hours: float) -> None:
    """Make the stored answer of ``key`` look ``hours`` old."""
    with Session(runtime.engine) as session:
        session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.key == key)  # type: ignore[arg-type]
            .values(created_at=utcnow() - timedelta(hours=hours))
        )
        session.commit()


def _post(actors: Actors, key: str, quantity: str = "500") -> httpx.Response:
    headers = {**actors.headers["htx"], "Idempotency-Key": key}
    return actors.client.post("/api/v1/lots", json=harvest_body(quantity=quantity), headers=headers)


def test_an_answer_within_the_ttl_is_replayed_and_one_past_it_is_a_new_write(
    supply_chain: Actors, runtime: Runtime
) -> None:
    assert runtime.settings.idempotency_ttl_h == 72
    first = _post(supply_chain, "phone-entry-1")
    assert first.status_code == 201
    lots = _count(runtime, Lot)

    _age(runtime, "phone-entry-1", 71)
    replay = _post(supply_chain, "phone-entry-1")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert _count(runtime, Lot) == lots

    _age(runtime, "phone-entry-1", 73)
    # Past the TTL the key is free: not replayed, and not "reused for another request" either.
    later = _post(supply_chain, "phone-entry-1", quantity="7")
    assert later.status_code == 201, later.text
    assert later.headers["Idempotent-Replayed"] == "false"
    assert _count(runtime, Lot) == lots + 1
    assert _count(runtime, IdempotencyRecord) == 1


def test_the_background_sweep_forgets_expired_answers_only(
    client: TestClient, supply_chain: Actors, runtime: Runtime
) -> None:
    for key in ("old-1", "old-2", "fresh"):
        assert _post(supply_chain, key).status_code == 201
    _age(runtime, "old-1", 100)
    _age(runtime, "old-2", 72.5)
    sweeper = client.app.state.idempotency_sweeper
    sweeper.wake()
    deadline = time.monotonic() + 30
    while _count(runtime, IdempotencyRecord) != 1:
        assert time.monotonic() < deadline, "the sweeper did not run"
        time.sleep(0.05)
    with Session(runtime.engine) as session:
        assert [r.key for r in session.exec(select(IdempotencyRecord))] == ["fresh"]
    assert sweeper.swept >= 2


def test_purge_expired_keeps_answers_younger_than_the_ttl(
    supply_chain: Actors, runtime: Runtime
) -> None:
    assert _post(supply_chain, "k").status_code == 201
    ttl = timedelta(hours=72)
    assert purge_expired(runtime.engine, ttl=ttl, now=utcnow() + timedelta(hours=71)) == 0
    assert purge_expired(runtime.engine, ttl=ttl, now=utcnow() + timedelta(hours=73)) == 1
    assert _count(runtime, IdempotencyRecord) == 0
