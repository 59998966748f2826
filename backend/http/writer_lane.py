"""One lane per process for SQLite writes: waiting writers queue on the event loop, not on threads.

SQLite admits one writer at a time. A writer that finds the database locked sleeps in SQLite's
busy handler (naps of 1, 2, 5, 10 … up to 100 ms) while holding one of the request threads: under
a burst of writes the threads fill with sleeping writers, reads wait for a thread, and the lock
sits free between one writer's commit and the next one's wake-up (measured before this lane: 16
clients posting 100-event batches kept a server process about a third busy). Here the busiest
writes (``run_write_in_one_hop``: single events and batches) take their whole unit of work,
authentication to commit, through a capacity limiter of one: the writers of a process wait
their turn in the limiter's queue, in order and without a thread, and the next starts the moment
the last one commits. Writers of other processes and the anchoring worker still meet this one
in SQLite's busy handler; within a process there is no more sleeping.

PostgreSQL takes row locks and runs writes side by side, so it keeps the general thread pool.
``SENTRACE_SQLITE_WRITER_LANE=false`` turns the lane off (for comparison in the bench).
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

_LANES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _lane() -> anyio.CapacityLimiter:
    """The running loop's lane (a limiter belongs to the loop that made it)."""
    loop = asyncio.get_running_loop()
    lane = _LANES.get(loop)
    if lane is None:
        lane = _LANES[loop] = anyio.CapacityLimiter(1)
    return lane


def uses_lane(runtime: Runtime) -> bool:
    """Whether this process's writes queue in the lane (SQLite, lane not switched off)."""
    return runtime.settings.sqlite_writer_lane and is_sqlite(runtime.engine)


async def run_write_work(runtime: Runtime, work: Callable[[], Result]) -> Result:
    """Run ``work`` (a whole write, committed before it returns) in the lane on SQLite, in the
    general thread pool otherwise; returns its result."""
    if uses_lane(runtime):
        return await anyio.to_thread.run_sync(work, limiter=_lane())
    return await anyio.to_thread.run_sync(work)
