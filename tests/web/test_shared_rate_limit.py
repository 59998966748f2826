"""Public limits shared through PostgreSQL: two limiters on one database stand for two server
processes (or two hosts) and hold a client to one limit between them; the table names no
address; an unreachable database never turns a read into an error and loses no count; two
apps on one database answer 429 once the client's requests to both reach the limit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from backend.app import create_app
from backend.db import create_schema, make_engine
from backend.errors import RateLimited
from backend.http.rate_limit import TokenBucketLimiter, build_public_limiter
from backend.http.shared_rate_limit import (
    SharedWindowLimiter,
    seconds_until_allowed,
    sliding_estimate,
)
from backend.runtime import Runtime
from tests.support.app import make_settings

KEY = b"k" * 32
START = 1_800_000_000.0  # a minute boundary (divisible by 60)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def test_the_previous_minute_counts_for_the_part_still_inside_the_window() -> None:
    assert sliding_estimate(60, 0, 0.0) == 60
    assert sliding_estimate(60, 10, 0.5) == 40
    assert sliding_estimate(60, 10, 1.0) == 10


def test_the_wait_is_until_one_more_request_fits() -> None:
    # Never less than a second, even where one more would already fit.
    assert seconds_until_allowed(10, 0, 0.25, 10) == 1
    # all 10 spent this minute, 30 s in: wait into the next minute until 9/10 of it is left.
    assert seconds_until_allowed(0, 10, 0.5, 10) == 36
    # 10 last minute and 5 this one, at the start: the old minute must weigh 4 or less.
    assert seconds_until_allowed(10, 5, 0.0, 10) == 36


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    instance = make_engine(postgres_url)
    create_schema(instance)
    try:
        yield instance
    finally:
        instance.dispose()


def spend(limiter: SharedWindowLimiter, client: str, times: int) -> int:
    """Requests let through out of ``times``."""
    allowed = 0
    for _ in range(times):
        try:
            limiter.check(client)
        except RateLimited:
            continue
        allowed += 1
    return allowed


@pytest.mark.postgres
def test_two_processes_hold_a_client_to_one_limit_between_them(engine: Engine) -> None:
    clock = Clock()
    first = SharedWindowLimiter(engine, 10, digest_key=KEY, clock=clock)
    second = SharedWindowLimiter(engine, 10, digest_key=KEY, clock=clock)
    assert spend(first, "203.0.113.7", 6) == 6
    first.sync()
    second.sync()  # has never seen the client: learns nothing of it yet
    assert spend(second, "203.0.113.7", 1) == 1
    second.sync()  # now it has: 6 from the first process and its own 1
    assert spend(second, "203.0.113.7", 10) == 3
    with pytest.raises(RateLimited) as refused:
        second.check("203.0.113.7")
    assert refused.value.retry_after == 66  # 10 this minute: 6 s into the next one
    second.sync()
    first.sync()
    assert spend(first, "203.0.113.7", 5) == 0  # the first process sees the second's share
    assert spend(first, "198.51.100.2", 10) == 10  # another client is not held back

    clock.now += 90  # 30 s into the next minute: half of the 10 still counts
    first.sync()
    assert spend(first, "203.0.113.7", 10) == 5

    with engine.connect() as connection:
        stored = connection.execute(text("SELECT client_digest FROM ratelimitcount")).all()
    assert stored and all(len(row[0]) == 64 for row in stored)
    assert not any("203.0.113.7" in row[0] or "198.51" in row[0] for row in stored)


@pytest.mark.postgres
def test_an_unreachable_database_keeps_judging_and_loses_no_count(engine: Engine) -> None:
    clock = Clock()
    away = make_engine("postgresql+psycopg://sentrace@127.0.0.1:9/nothing_listens_here")
    try:
        limiter = SharedWindowLimiter(away, 5, digest_key=KEY, clock=clock)
        assert spend(limiter, "a", 3) == 3
        with pytest.raises(Exception):  # noqa: B017 - any driver error: the database is away
            limiter.sync()
        assert spend(limiter, "a", 5) == 2  # its own counts still hold the client
        limiter._engine = engine  # the database is back
        limiter.sync()
    finally:
        away.dispose()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT sum(hits) FROM ratelimitcount")).scalar() == 5


@pytest.mark.postgres
def test_two_apps_on_one_database_answer_429_when_the_shared_limit_is_reached(
    tmp_path: Path, postgres_url: str
) -> None:
    shared = {"rate_limit_per_minute": 6, "session_secret": "s" * 64}  # as every host has
    runtimes = [
        Runtime.create(make_settings(tmp_path / name, postgres_url, **shared))
        for name in ("host-a", "host-b")
    ]
    try:
        with TestClient(create_app(runtimes[0])) as a, TestClient(create_app(runtimes[1])) as b:
            statuses = [a.get("/l/KHONG-CO").status_code for _ in range(4)]
            assert statuses == [404] * 4
            first = a.app.state.public_rate_limiter  # type: ignore[attr-defined]
            assert isinstance(first, SharedWindowLimiter)
            first.sync()
            assert b.get("/l/KHONG-CO").status_code == 404  # b has not heard of the client yet
            b.app.state.public_rate_limiter.sync()  # type: ignore[attr-defined]
            assert b.get("/l/KHONG-CO").status_code == 404
            refused = b.get("/l/KHONG-CO")
            assert refused.status_code == 429
            assert int(refused.headers["Retry-After"]) >= 1
    finally:
        for runtime in runtimes:
            runtime.close()


def test_on_sqlite_each_process_keeps_its_share(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "data", f"sqlite:///{tmp_path / 'db.sqlite'}",
        rate_limit_per_minute=600, web_workers=4,
    )  # fmt: skip
    runtime = Runtime.create(settings)
    try:
        limiter = build_public_limiter(runtime)
        assert isinstance(limiter, TokenBucketLimiter)
        assert limiter.per_minute == 150
    finally:
        runtime.close()
