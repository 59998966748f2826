"""One anchoring sender at a time, within a process and across processes on PostgreSQL.

Several app processes may share one PostgreSQL database and one anchoring key. Building batches
is made safe row by row (``SKIP LOCKED``), but sending must also be serialised: two senders
with one key would race for nonces, and the outbox promises id order. A PostgreSQL advisory
lock does that across processes; a ``threading.Lock`` does it inside one process (the worker
thread and an admin's "anchor now" request). SQLite has one writer per file anyway, so the
in-process lock is all it needs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

#: Advisory lock key of the anchoring sender ("SENTANCH" in ASCII; distinct from the key
#: the migration runner takes, so start-up migrations never wait on a sending pass).
SENDER_LOCK_KEY = 0x53454E54414E4348


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
        if engine.dialect.name != "postgresql":
            yield True
            return
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
    finally:
        local.release()


def _unlock(connection: Connection) -> None:
    """Release the advisory lock; a dead connection releases it by itself when discarded."""
    try:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SENDER_LOCK_KEY})
        connection.commit()
    except SQLAlchemyError:
        connection.invalidate()
