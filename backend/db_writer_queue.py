"""One writer queue per process for SQLite: writers wait on a lock, not in SQLite's busy loop.

SQLite lets one connection write at a time. A connection that finds the write lock taken waits
in SQLite's busy handler, which sleeps in growing steps (up to 100 ms) and tries again; it is
not woken when the lock frees. With a few request threads writing at once, a writer can sleep
long after the lock it waits for was released, and those sleeps are what made SQLite's write
p99 the worst figure of the load test. Here each process queues its own writers on a lock that
wakes the next one the moment the transaction before it ends.

A transaction joins the queue at its first write statement (readers never wait: WAL readers do
not block the writer) and leaves it once its connection is back in the pool, after its commit
or rollback, or is closed or invalidated, so no path can leave the lock held. The lock is not
owned by a thread: FastAPI may run a request's handler and the end of its session in
different threads.
A writer that waits longer than SQLite's own busy timeout goes on without the queue, so two
connections of one thread writing at once (never done here) would still meet SQLite's timeout
rather than wait for ever. Other processes on the same file still meet SQLite's own locking.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

logger = logging.getLogger(__name__)

#: Statements that make a transaction a writer (SQLite takes its write lock at the first one).
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
#: The key in a pooled connection's ``info`` that marks it as holding this process's queue.
_HOLDS = "sentrace_writer_queue"


class WriterQueue:
    """The lock one process's SQLite writers take in turn (see the module docstring)."""

    def __init__(self, *, wait_s: float) -> None:
        self._lock = threading.Lock()
        self._wait_s = wait_s
        self.waited_out = 0  # writers that went on without the queue
        self.waiting = 0  # writers in the queue now (read without a lock: a hint)

    def enter(self, info: dict[str, Any]) -> None:
        if info.get(_HOLDS):
            return
        self.waiting += 1
        try:
            got = self._lock.acquire(timeout=self._wait_s)
        finally:
            self.waiting -= 1
        if got:
            info[_HOLDS] = True
        else:
            self.waited_out += 1
            logger.warning("a SQLite writer waited %.0f s in the queue; going on without it",
                           self._wait_s)  # fmt: skip

    def leave(self, info: dict[str, Any]) -> None:
        if info.pop(_HOLDS, False):
            self._lock.release()

    def free(self) -> bool:
        """Whether no writer holds the queue now."""
        return not self._lock.locked()


def install_writer_queue(engine: Engine, *, wait_s: float) -> WriterQueue:
    """Queue ``engine``'s writers (a SQLite engine) in this process; the queue, for tests."""
    queue = WriterQueue(wait_s=wait_s)

    @event.listens_for(engine, "before_cursor_execute")
    def _join(conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip()[:7].upper().startswith(_WRITES):
            queue.enter(conn.info)

    # Left once the connection is back in the pool: after the DBAPI commit or rollback (the
    # engine's own commit and rollback events come before them, and the next writer would
    # only meet SQLite's lock instead), or when the connection is closed or invalidated.
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            queue.leave(record.info)

    def _invalidated(_dbapi_connection: Any, record: Any, _exception: Any) -> None:
        if record is not None:
            queue.leave(record.info)

    event.listen(engine.pool, "checkin", _checked_in)
    event.listen(engine.pool, "close", _checked_in)
    event.listen(engine.pool, "invalidate", _invalidated)
    event.listen(engine.pool, "soft_invalidate", _invalidated)
    engine._sentrace_writer_queue = [queue]  # type: ignore[attr-defined]
    return queue
