"""bench.wrk drives the real ``wrk`` against a real uvicorn server and reports what it sent.

The server runs in a thread of the test process with the bench's bare routes plus a few that
record what arrives (bodies, paths, counts) or answer with errors, so each claim of the module
is checked on the server's side: every request counted was served, bodies differ per request
and go to their connection's path, and a status outside ``expect`` fails the run.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI, Request, Response

from backend.chain.anvil import free_port
from bench.chain import ComponentMissing
from bench.server import add_baseline_routes
from bench.wrk import (
    COUNTER,
    UnexpectedAnswers,
    WrkFailed,
    WrkRequests,
    run_wrk,
)
from tests.support.components import wrk_binary

CONNECTIONS = 4
FLAKY_EVERY = 10


@dataclass
class Seen:
    """What the server received, appended from its event loop."""

    counted: int = 0
    flaky: int = 0
    posts: list[tuple[int, bytes]] = field(default_factory=list)


@dataclass(frozen=True)
class Served:
    url: str
    seen: Seen


def recording_app(seen: Seen) -> FastAPI:
    app = FastAPI()
    add_baseline_routes(app)

    @app.get("/count")
    async def count() -> dict[str, int]:
        seen.counted += 1
        return {"n": seen.counted}

    @app.post("/record/{slot}", status_code=201)
    async def record(slot: int, request: Request) -> dict[str, int]:
        seen.posts.append((slot, await request.body()))
        return {"slot": slot}

    @app.get("/teapot")
    async def teapot() -> Response:
        return Response(status_code=418)

    @app.get("/flaky")
    async def flaky() -> Response:
        seen.flaky += 1
        return Response(status_code=503 if seen.flaky % FLAKY_EVERY == 0 else 200)

    return app


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    seen = Seen()
    port = free_port()
    config = uvicorn.Config(
        recording_app(seen), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="wrk-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}", seen)
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture
def wrk(served: Served) -> Served:
    wrk_binary()  # skip locally without wrk, fail under CI=true
    return served


def test_every_request_counted_was_served_and_latencies_are_ordered(wrk: Served) -> None:
    before = wrk.seen.counted
    result = run_wrk(
        wrk.url, WrkRequests.get("/count"), connections=CONNECTIONS, seconds=1, warmup_seconds=0
    )
    time.sleep(0.3)  # let requests in flight when wrk stopped reach the counter
    served = wrk.seen.counted - before
    assert result.requests > 0
    # Each connection has at most one request in flight (closed loop) when wrk stops.
    assert result.requests <= served <= result.requests + CONNECTIONS
    assert result.statuses == {200: result.requests}
    assert result.ok(frozenset({200})) == result.requests
    assert result.transport_errors == 0
    assert result.seconds > 0
    assert result.rps == pytest.approx(result.requests / result.seconds)
    assert min(result.latencies) > 0
    assert 0 < result.p(50) <= result.p(90) <= result.p(99) <= result.p(100)
    assert result.client_cpu_seconds >= 0


def test_posted_bodies_differ_per_request_and_keep_to_their_connection_path(
    wrk: Served,
) -> None:
    wrk.seen.posts.clear()
    kinds = ["thu hoạch", "đóng gói", "vận chuyển"]
    templates = [
        json.dumps(
            {"kind": kind, "n": COUNTER, "note": f"Xoài cát số {COUNTER}"}, ensure_ascii=False
        )
        for kind in kinds
    ]
    paths = [f"/record/{slot}" for slot in range(CONNECTIONS)]
    starts: list[int] = []
    result = run_wrk(
        wrk.url,
        WrkRequests.post(paths, templates),
        connections=CONNECTIONS,
        seconds=1,
        warmup_seconds=1,
        expect=frozenset({201}),
        on_start=lambda: starts.append(len(wrk.seen.posts)),
    )
    time.sleep(0.3)
    posts = list(wrk.seen.posts)
    assert starts and 0 < starts[0] < len(posts)  # the warm-up posted, then the run did
    assert result.statuses == {201: result.requests}
    assert len(posts) >= result.requests + starts[0]
    numbers = []
    for slot, raw in posts:
        body = json.loads(raw.decode("utf-8"))  # intact UTF-8: Content-Length counts bytes
        number = int(body["n"])
        numbers.append(number)
        assert body["note"] == f"Xoài cát số {number}"
        assert body["kind"] == kinds[number % len(kinds)]
        assert slot == number % CONNECTIONS  # connection i always posts to paths[i]
    assert len(set(numbers)) == len(numbers), "two requests carried the same number"
    assert len({raw for _slot, raw in posts}) == len(posts)
    assert {slot for slot, _raw in posts} == set(range(CONNECTIONS))


def test_a_status_outside_expect_fails_the_run(wrk: Served) -> None:
    with pytest.raises(UnexpectedAnswers, match="418"):
        run_wrk(wrk.url, WrkRequests.get("/teapot"), connections=2, seconds=1, warmup_seconds=0)


def test_a_few_failures_among_many_successes_still_fail_the_run(wrk: Served) -> None:
    with pytest.raises(UnexpectedAnswers, match="503"):
        run_wrk(wrk.url, WrkRequests.get("/flaky"), connections=2, seconds=1, warmup_seconds=0)


def test_expecting_201_refuses_a_200(wrk: Served) -> None:
    with pytest.raises(UnexpectedAnswers, match="200"):
        run_wrk(
            wrk.url,
            WrkRequests.get("/bench/bare"),
            connections=1,
            seconds=1,
            warmup_seconds=0,
            expect=frozenset({201}),
        )


def test_a_server_that_is_not_there_fails_the_run() -> None:
    wrk_binary()
    with pytest.raises(WrkFailed, match="exited with"):
        run_wrk(
            f"http://127.0.0.1:{free_port()}",
            WrkRequests.get("/"),
            connections=1,
            seconds=1,
            warmup_seconds=0,
        )


def test_missing_wrk_is_a_missing_component(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ComponentMissing, match="wrk"):
        run_wrk("http://127.0.0.1:1", WrkRequests.get("/"), connections=1, seconds=1)


def test_bodies_with_line_breaks_are_refused() -> None:
    with pytest.raises(ValueError, match="line breaks"):
        WrkRequests.post(["/record/0"], ['{"a":\n1}'])
