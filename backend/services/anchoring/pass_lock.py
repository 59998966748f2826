"""One anchoring sender at a time, within a process and across processes.

Several app processes may share one database and one anchoring key: ``sentrace serve
--workers N`` on one machine, several servers on one PostgreSQL, or ``sentrace anchor`` run
next to a server. Building batches is made safe row by row (``SKIP LOCKED`` and claims, see
``batching``), but sending must also be serialised: two senders with one key would race for
nonces, and the outbox promises id order. Two layers do that:

* a ``threading.Lock`` inside one process (the worker thread and an admin's "anchor now");
* across processes, a PostgreSQL advisory lock, or for a SQLite file an exclusive ``flock`` on
  a lock file beside the database file (``sentrace.db.anchor-lock``). The file sits beside the
  database rather than anywhere else because the database is what the processes share: two
  processes on one SQLite file always meet on the same lock file, whatever their data folders.
  An in-memory SQLite database cannot be shared between processes, so it needs no file.

Across processes the lock is never waited for: the process holding it is doing the work, so
the caller simply skips its pass. Like the advisory lock, a ``flock`` dies with its process,
so a crashed sender never leaves the lock behind.

These locks are the fast path, not the guarantee: an advisory lock also dies with a dropped
connection while its holder goes on. What makes one sender at a time hold is the sender lease
(``lease``): every send record is written under a check of the lease's fencing token.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

#: Advisory lock key of the anchoring sender ("SENTANCH" in ASCII; distinct from the key
#: the migration runner takes, so start-up migrations never wait on a sending pass).
SENDER_LOCK_KEY = 0x53454E54414E4348
#: Suffix of the SQLite sender lock file, added to the database file's name.
LOCK_FILE_SUFFIX = ".anchor-lock"


@contextmanager
def sender_lock(engine: Engine, local: threading.Lock, *, wait: bool) -> Iterator[bool]:
    """Hold the sender lock for the block; yields False when another sender holds it.

    With ``wait`` the block waits for the in-process lock (an admin request queues behind the
    worker); across processes it never waits, because the other process is doing the work.
    """
    if not local.acquire(blocking=wait):
        yield False
        return
    try:
        if engine.dialect.name == "postgresql":
            with _advisory_lock(engine) as got:
                yield got
            return
        lock_file = sqlite_lock_file(engine)
        if lock_file is None:
            yield True
            return
        with file_lock(lock_file) as got:
            yield got
    finally:
        local.release()


def sqlite_lock_file(engine: Engine) -> Path | None:
    """The sender lock file of a file-backed SQLite database; None for anything else."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or "mode=memory" in str(engine.url):
        return None  # lives in this process only
    return Path(database + LOCK_FILE_SUFFIX)


@contextmanager
def file_lock(path: Path) -> Iterator[bool]:
    """An exclusive ``flock`` on ``path`` for the block, never waited for; yields whether held.

    The file is opened per acquisition: a ``flock`` belongs to the open file description, so
    two opens in one process exclude each other just as two processes do.
    """
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            got = True
        except BlockingIOError:
            got = False
        try:
            yield got
        finally:
            if got:
                fcntl.flock(descriptor, fcntl.LOCK_UN)
    finally:
        os.close(descriptor)


@contextmanager
def _advisory_lock(engine: Engine) -> Iterator[bool]:
    with engine.connect() as connection:
        got = bool(
            connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": SENDER_LOCK_KEY}
            ).scalar()
        )
        connection.commit()
        try:
            yield got
        finally:
            if got:
                _unlock(connection)


def _unlock(connection: Connection) -> None:
    """Release the advisory lock; a dead connection releases it by itself when discarded."""
    try:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SENDER_LOCK_KEY})
        connection.commit()
    except SQLAlchemyError:
        connection.invalidate()
