"""Public reads on PostgreSQL streaming replicas, every write and everything else on the primary.

A province's scans are reads: the consumer page, the verification JSON and the proof bundle.
With ``SENTRACE_DATABASE_REPLICA_URLS`` set they run on the replicas, taken in turn, so the
primary keeps its capacity for writes and the anchoring worker.

A replica is a slightly older copy of the primary. Nothing it answers may be worse than the
truth, so a read is trusted only when its outcome could not have been caused by lag: a verdict
of ``verified``, ``pending`` or ``recalled``. A lot the replica does not know yet, or a record
that reads as ``tampered`` there (the chain already holds a root or a heads map the replica has
not caught up with), is read again on the primary, whose answer stands. So lag can show as
``pending`` for the moment it lasts, never as ``tampered`` or "unknown lot". A replica that is
down or cancels the query (a conflict with recovery) costs the same retry on the primary.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

from backend.db import make_engine

logger = logging.getLogger(__name__)

T = TypeVar("T")


class ReadReplicas:
    """The replicas' engines, handed out in turn."""

    def __init__(self, engines: list[Engine]) -> None:
        self.engines = engines
        self._turn = itertools.count()

    @classmethod
    def of(cls, urls: list[str]) -> ReadReplicas | None:
        """None without replica URLs: every read goes to the primary."""
        return cls([make_engine(url) for url in urls]) if urls else None

    def next_engine(self) -> Engine:
        return self.engines[next(self._turn) % len(self.engines)]

    def dispose(self) -> None:
        for engine in self.engines:
            engine.dispose()


def read_on_replica(
    replicas: ReadReplicas | None,
    work: Callable[[Session], T],
    *,
    trusted: Callable[[T], bool],
    on_primary: Callable[[Callable[[Session], T]], T],
) -> T:
    """``work`` on the next replica if its outcome is ``trusted``, else ``on_primary(work)``.

    ``work`` only reads: the replica's session is rolled back, never committed. Whatever must
    be written (a scan count) is returned by ``work`` and written by the caller on the primary.
    """
    if replicas is not None:
        try:
            with Session(replicas.next_engine(), expire_on_commit=False) as session:
                outcome = work(session)
                session.rollback()
            if trusted(outcome):
                return outcome
        except (OperationalError, DBAPIError):
            logger.warning("a read replica failed; reading on the primary", exc_info=True)
    return on_primary(work)
