"""The threads that compute verdicts: a few, apart from the pool of every other handler.

A verification is CPU work under the GIL from start to end (SQL on a local file, hashing,
JSON). Running more of them at once than there are cores gains nothing, and each extra thread
makes the GIL change hands more often: every SQLite call releases it, so with many verifiers
in flight the lock bounces between them and the event loop, and the process spends more CPU
per request the more requests it holds (measured here: ~3.5 ms per verification with one
client, 5–7 ms with 32 on eight threads). A small limiter of their own keeps the bouncing down
and leaves the general pool (writes waiting on the database) untouched. Its size is a setting
(``SENTRACE_VERDICT_THREADS``): with a database across a network, verdict threads spend most of
their time waiting for it, and more of them keep the cores busy.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread

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
        limiter = _LIMITERS[loop] = anyio.CapacityLimiter(runtime.settings.verdict_threads)
    return limiter


async def run_verdict_work(runtime: Runtime, work: Callable[[], Result]) -> Result:
    """Run ``work`` on one of the verdict threads and return its result."""
    return await anyio.to_thread.run_sync(work, limiter=_limiter(runtime))
