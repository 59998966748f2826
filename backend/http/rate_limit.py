"""Per-client request limits for the public, unauthenticated endpoints.

The consumer page and the public verification JSON need no key, so nothing but a limit stops
one client from scraping every lot or burning the server's CPU (every read recomputes every
hash). Each client gets a token bucket holding ``per_minute`` requests that refills steadily;
an empty bucket raises :class:`~backend.errors.RateLimited`, which the error handlers turn
into ``429`` with a ``Retry-After`` header. ``per_minute = 0`` switches the limit off.

State lives in process memory, which keeps the hot path free of any shared store. With
``sentrace serve --workers N`` the kernel spreads connections over N processes that each keep
their own buckets, so each process gets ``ceil(per_minute / N)`` (:func:`process_budget`): a
client spread over every process gets at most about ``per_minute`` in all, as configured. The
price is that a client whose requests all land in one process (one keep-alive connection) is
held to its share of the limit; the other choice, the full limit in every process, would let
a client that opens many connections get N times the limit. That is the SQLite case (one
host). On PostgreSQL the limit is shared instead (:mod:`backend.http.shared_rate_limit`):
every process and every host counts into one table, and each judges against the full
limit. The table of buckets is bounded so a flood of spoofed addresses cannot grow it
without end.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from backend.db import is_sqlite
from backend.errors import RateLimited
from backend.http.shared_rate_limit import SharedWindowLimiter
from backend.i18n.messages import message
from backend.runtime import Runtime
from backend.services.accounts.server_secret import resolve_secret
from backend.services.labels.scans import digest_key

#: Buckets remembered at most; the least recently seen client is forgotten first (a forgotten
#: client simply starts again with a full bucket).
MAX_TRACKED_CLIENTS = 100_000

_CREATE_LOCK = threading.Lock()

RATE_LIMITED_MESSAGE = message("errors.rate_limited")


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBucketLimiter:
    """Token buckets keyed by client; thread-safe, since sync endpoints run in a thread pool."""

    def __init__(
        self,
        per_minute: int,
        *,
        max_clients: int = MAX_TRACKED_CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_minute < 0:
            raise ValueError("per_minute must be zero (off) or positive")
        self.per_minute = per_minute
        self._rate = per_minute / 60.0  # tokens per second
        self._max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    def check(self, client: str) -> None:
        """Spend one token of ``client``'s bucket or raise ``RateLimited`` with a wait time."""
        if not self.enabled:
            return
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(client)
            if bucket is None:
                bucket = _Bucket(tokens=float(self.per_minute), updated=now)
                self._buckets[client] = bucket
                if len(self._buckets) > self._max_clients:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(client)
                elapsed = max(0.0, now - bucket.updated)
                bucket.tokens = min(float(self.per_minute), bucket.tokens + elapsed * self._rate)
                bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return
            wait = (1.0 - bucket.tokens) / self._rate
        raise RateLimited(RATE_LIMITED_MESSAGE, retry_after=max(1, math.ceil(wait)))


def process_budget(per_minute: int, processes: int) -> int:
    """This process's share of a per-client limit spread over ``processes`` server processes.

    Rounded up, so a small limit never becomes 0 (which would switch the limit off).
    """
    if per_minute <= 0:
        return per_minute
    return math.ceil(per_minute / max(1, processes))


def client_key(request: Request) -> str:
    """Who is asking, as the limiter sees it: the peer address of the connection.

    Behind a reverse proxy, run uvicorn with ``--proxy-headers`` and ``--forwarded-allow-ips``
    so the peer address is the real client's; forwarded headers are never trusted here,
    because any client could set them to dodge the limit.
    """
    return request.client.host if request.client else "unknown"


PublicLimiter = TokenBucketLimiter | SharedWindowLimiter


def build_public_limiter(runtime: Runtime) -> PublicLimiter:
    """``SENTRACE_RATE_LIMIT_PER_MINUTE`` per client, shared through the database on
    PostgreSQL (its sync thread started), else this process's share of it
    (:func:`process_budget` over ``SENTRACE_WEB_WORKERS``)."""
    settings = runtime.settings
    per_minute = settings.rate_limit_per_minute
    if per_minute > 0 and not is_sqlite(runtime.engine):
        shared = SharedWindowLimiter(
            runtime.engine, per_minute, digest_key=digest_key(resolve_secret(settings))
        )
        shared.start()
        return shared
    return TokenBucketLimiter(process_budget(per_minute, settings.web_workers))


def limiter_for(request: Request) -> PublicLimiter:
    """The app's public limiter, built once per app from its runtime settings."""
    state = request.app.state
    limiter: PublicLimiter | None = getattr(state, "public_rate_limiter", None)
    if limiter is None:
        with _CREATE_LOCK:
            limiter = getattr(state, "public_rate_limiter", None)
            if limiter is None:
                limiter = build_public_limiter(state.runtime)
                state.public_rate_limiter = limiter
    return limiter


def stop_public_limiter(state: object) -> None:
    """At shutdown: a shared limiter adds its last counts and stops its thread."""
    limiter = getattr(state, "public_rate_limiter", None)
    if isinstance(limiter, SharedWindowLimiter):
        limiter.stop()


async def enforce_public_rate_limit(request: Request) -> None:
    """FastAPI dependency for public endpoints: ``dependencies=[Depends(enforce_...)]``.

    A coroutine so the check runs on the event loop: a plain function would cost every public
    read a thread hop for a few dictionary operations."""
    limiter_for(request).check(client_key(request))
