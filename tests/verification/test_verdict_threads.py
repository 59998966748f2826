"""Verdict work runs off the event loop, on at most ``verdict_threads`` threads at once."""

from __future__ import annotations

import asyncio
import threading
import time
from types import SimpleNamespace
from typing import Any

from backend.http.verdict_threads import run_verdict_work


def _run(coroutine_function: Any) -> Any:
    """``asyncio.run`` on a thread of its own: the test process may already run a loop here."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(coroutine_function())))
    thread.start()
    thread.join(30)
    assert result, "the event loop did not finish"
    return result[0]


def _runtime(threads: int) -> Any:
    return SimpleNamespace(settings=SimpleNamespace(verdict_threads=threads))


def test_at_most_the_configured_number_run_at_once_and_never_on_the_loop() -> None:
    lock = threading.Lock()
    running = peak = 0
    loop_thread: list[int] = []

    def work() -> int:
        nonlocal running, peak
        assert threading.get_ident() != loop_thread[0]
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        return 7

    async def main() -> list[int]:
        loop_thread.append(threading.get_ident())
        runtime = _runtime(2)
        return await asyncio.gather(*(run_verdict_work(runtime, work) for _ in range(10)))

    assert _run(main) == [7] * 10
    assert peak == 2


def test_each_event_loop_gets_its_own_limiter() -> None:
    async def main() -> int:
        return await run_verdict_work(_runtime(1), lambda: 1)

    assert _run(main) == 1
    assert _run(main) == 1  # a second loop: a limiter of the first would fail here


def test_unset_it_is_one_thread_on_sqlite_and_two_on_a_database_server() -> None:
    from sqlalchemy import create_engine

    from backend.http.verdict_threads import verdict_thread_count

    sqlite = create_engine("sqlite://")
    postgres = create_engine("postgresql+psycopg://u@127.0.0.1:1/db")  # never connected
    for engine, expected in ((sqlite, 1), (postgres, 2)):
        unset = SimpleNamespace(settings=SimpleNamespace(verdict_threads=None), engine=engine)
        assert verdict_thread_count(unset) == expected
        chosen = SimpleNamespace(settings=SimpleNamespace(verdict_threads=3), engine=engine)
        assert verdict_thread_count(chosen) == 3
