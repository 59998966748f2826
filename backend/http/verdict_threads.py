"""The threads that compute verdicts: a few, apart from the pool of every other handler.

A verification is CPU work under the GIL from start to end (SQL on a local file, hashing,
JSON). Running more of them at once than there are cores gains nothing, and each extra thread
makes the GIL change hands more often: every SQLite call releases it, so with many verifiers
in flight the lock bounces between them and the event loop, and the process spends more CPU
per request the more requests it holds (measured here: ~3.5 ms per verification with one
client, 5–7 ms with 32 on eight threads). A small limiter of their own keeps the bouncing down
and leaves the general pool (writes waiting on the database) untouched. Its size is a setting
(``SENTRACE_VERDICT_THREADS``): with a database across a network, verdict threads spend most of
their time waiting for it, and more of them keep the cores busy. Unset, it is one on SQLite
(the work never waits, so a second thread only adds hand-overs: measured on one process with 32
clients, 4.0–4.1 ms of server CPU per verification on one thread against 5.0–5.2 ms on two)
and two on PostgreSQL, whose statements are round trips to another process.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

from backend.db import is_sqlite
from backend.runtime import Runtime

Result = TypeVar("Result")

_LIMITERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _limiter(runtime: Runtime) -> anyio.CapacityLimiter:
    """One limiter per event loop (a limiter belongs to the loop that made it)."""
    loop = asyncio.get_running_loop()
    limiter = _LIMITERS.get(loop)
    if limiter is None:
        limiter = _LIMITERS[loop] = anyio.CapacityLimiter(verdict_thread_count(runtime))
    return limiter


#: Verdict threads per process when ``SENTRACE_VERDICT_THREADS`` is unset.
SQLITE_VERDICT_THREADS = 1
SERVER_DATABASE_VERDICT_THREADS = 2


def verdict_thread_count(runtime: Runtime) -> int:
    """The setting when set, else one on SQLite and two on a database server."""
    configured = runtime.settings.verdict_threads
    if configured is not None:
        return int(configured)
    return SQLITE_VERDICT_THREADS if is_sqlite(runtime.engine) else SERVER_DATABASE_VERDICT_THREADS


async def run_verdict_work(runtime: Runtime, work: Callable[[], Result]) -> Result:
    """Run ``work`` on one of the verdict threads and return its result."""
    return await anyio.to_thread.run_sync(work, limiter=_limiter(runtime))
