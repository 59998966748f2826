"""Public request limits shared by every server process and every host on one PostgreSQL.

Per-process token buckets (:mod:`backend.http.rate_limit`) cannot see each other: four
processes on each of three hosts would let a client make twelve times the limit, or, with the
limit divided between processes, hold a client on one keep-alive connection to a twelfth of
it. Here every process counts a client's public requests per Unix minute in the
``ratelimitcount`` table and reads the sums of all processes back.

The hot path never waits for the database. A request is judged in memory against the sums
read at the last sync plus the requests this process has let through since; a daemon thread
adds this process's counts to the table and reads the new sums once every ``sync_every_s``
(one round trip per second per process, whatever the traffic). The limit is a sliding
window: the previous minute's count weighted by how much of it still falls within the last
60 seconds, plus the current minute's. What this costs: between two syncs each process may
let a client through on counts up to a second old, so a client hammering every process at
once can overshoot by about ``processes × its rate × sync_every_s``; a client that was never
seen by a process gets its first second there on that process's own counts. Hosts must agree
on the time to the second (NTP), since minutes are counted by the wall clock.

Addresses are never stored: a row names a client by the keyed digest the scan counter uses,
keyed by ``SENTRACE_SESSION_SECRET`` (which hosts share already, or their sign-ins would not
carry over), so every host names a client alike.
If the database is away the process keeps judging on what it knows and its own counts, and
adds them to the table when it is back; a limit is never a reason to answer 5xx.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import TypeVar

from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col

from backend.errors import RateLimited
from backend.i18n.messages import message
from backend.models_access import RateLimitCount
from backend.services.anchoring.background import DaemonThread
from backend.services.labels.scans import client_digest

logger = logging.getLogger(__name__)

WINDOW_S = 60
#: Clients looked up per query, and rows added per statement.
CHUNK = 500
#: Counts of clients that have not been seen for this long are forgotten in memory.
MINUTES_KEPT = 2

RATE_LIMITED_MESSAGE = message("errors.rate_limited")

T = TypeVar("T")

Counts = dict[tuple[str, int], int]


def sliding_estimate(previous: int, current: int, fraction: float) -> float:
    """Requests in the last 60 s: the previous minute weighted by the part still inside."""
    return previous * (1.0 - fraction) + current


def seconds_until_allowed(previous: int, current: int, fraction: float, per_minute: int) -> int:
    """How long until one more request fits, if the client sends nothing meanwhile."""
    room = per_minute - 1
    if current <= room:
        needed = 1.0 - (room - current) / previous if previous else 0.0
        wait = (needed - fraction) * WINDOW_S
    else:  # the current minute alone is over: wait into the next one
        wait = ((1.0 - fraction) + (1.0 - room / current)) * WINDOW_S
    return max(1, math.ceil(wait))


class SharedWindowLimiter:
    """Per-client sliding-window limit, counted in PostgreSQL, judged in memory."""

    def __init__(
        self,
        engine: Engine,
        per_minute: int,
        *,
        digest_key: bytes,
        sync_every_s: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if per_minute < 0:
            raise ValueError("per_minute must be zero (off) or positive")
        self.per_minute = per_minute
        self._engine = engine
        self._digest_key = digest_key
        self._clock = clock
        self._sync_every_s = sync_every_s
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._pending: Counts = defaultdict(int)  # let through here, not yet in the table
        self._in_flight: Counts = {}  # being added to the table right now
        self._shared: Counts = {}  # the table's sums at the last sync
        self._failing = False
        self.syncs = 0
        self._thread = DaemonThread(self._loop, name="sentrace-rate-limit-sync",
                                    label="shared rate limit")  # fmt: skip

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    def check(self, client: str) -> None:
        """Count one request of ``client`` or raise ``RateLimited`` with a wait time."""
        if not self.enabled:
            return
        digest = client_digest(client or "unknown", key=self._digest_key)
        now = self._clock()
        minute = int(now // WINDOW_S)
        fraction = (now % WINDOW_S) / WINDOW_S
        with self._lock:
            previous = self._count(digest, minute - 1)
            current = self._count(digest, minute)
            if sliding_estimate(previous, current, fraction) + 1 <= self.per_minute:
                self._pending[(digest, minute)] += 1
                return
        wait = seconds_until_allowed(previous, current, fraction, self.per_minute)
        raise RateLimited(RATE_LIMITED_MESSAGE, retry_after=wait)

    def _count(self, digest: str, minute: int) -> int:
        key = (digest, minute)
        return self._shared.get(key, 0) + self._in_flight.get(key, 0) + self._pending.get(key, 0)

    # --- the sync ---------------------------------------------------------------------------

    def sync(self) -> None:
        """Add this process's counts to the table and read back the sums of every process."""
        with self._sync_lock:
            minute = int(self._clock() // WINDOW_S)
            oldest = minute - MINUTES_KEPT + 1
            with self._lock:
                batch = {k: n for k, n in self._pending.items() if k[1] >= oldest}
                self._pending = defaultdict(int)
                self._in_flight = batch
                recent = {digest for digest, seen in self._shared if seen >= oldest}
                clients = sorted({digest for digest, _ in batch} | recent)
            if not clients:
                with self._lock:
                    self._shared, self._in_flight = {}, {}
                return
            try:
                shared = self._exchange(batch, clients, oldest=oldest)
            except Exception:
                with self._lock:  # not added: counted again at the next sync
                    for key, hits in batch.items():
                        self._pending[key] += hits
                    self._in_flight = {}
                raise
            with self._lock:
                self._shared, self._in_flight = shared, {}
            self.syncs += 1

    def _exchange(self, batch: Counts, clients: list[str], *, oldest: int) -> Counts:
        """One transaction: add ``batch``, read the sums of ``clients``, drop old minutes."""
        rows = [{"client_digest": d, "minute": m, "hits": n} for (d, m), n in sorted(batch.items())]
        shared: Counts = {}
        with self._engine.begin() as connection:
            # Sorted rows: two processes lock the same rows in the same order (no deadlock).
            for chunk in _chunks(rows, CHUNK):
                statement = insert(RateLimitCount).values(chunk)
                table = RateLimitCount.__table__.c  # type: ignore[attr-defined]
                connection.execute(
                    statement.on_conflict_do_update(
                        index_elements=[table.client_digest, table.minute],
                        set_={"hits": table.hits + statement.excluded.hits},
                    )
                )
            for chunk in _chunks(clients, CHUNK):
                query = select(
                    col(RateLimitCount.client_digest), col(RateLimitCount.minute),
                    col(RateLimitCount.hits),
                ).where(
                    col(RateLimitCount.client_digest).in_(chunk),
                    col(RateLimitCount.minute) >= oldest,
                )  # fmt: skip
                for digest, minute, hits in connection.execute(query):
                    shared[(digest, minute)] = hits
            if self.syncs % 60 == 0:  # about once a minute: minutes no window reads any more
                connection.execute(
                    delete(RateLimitCount).where(col(RateLimitCount.minute) < oldest)
                )
        return shared

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the thread after a last sync, so counts of a closing process are not lost."""
        self._thread.stop(timeout)
        try:
            self.sync()
        except Exception:
            logger.warning("could not add the last request counts to the shared table")

    def _loop(self) -> None:
        while self._thread.sleep(self._sync_every_s):
            try:
                self.sync()
            except Exception:  # the database away: judge on what is known, retry next time
                if not self._failing:
                    logger.warning("shared rate limit: sync failed; will retry", exc_info=True)
                self._failing = True
                continue
            if self._failing:
                logger.info("shared rate limit: sync works again")
            self._failing = False


def _chunks(items: list[T], size: int) -> Iterable[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
