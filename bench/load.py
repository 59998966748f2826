"""A closed-loop HTTP load generator: N clients, each sending its next request on an answer.

It runs in the bench process, never in the server's (a client in the server process would
compete for the server's GIL). Every run is bounded twice, by time and by request count, and
stops by itself. A short warm-up (not counted) opens the connections and wakes caches first.
Latency is measured per request from send to the last body byte.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.stats import percentile, rate

#: ``(client index, request number) -> (method, path, json body or None)``
RequestFor = Callable[[int, int], tuple[str, str, Any]]


@dataclass
class LoadResult:
    """What one load run saw."""

    seconds: float
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: int = 0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    def ok(self, expected: frozenset[int]) -> int:
        return sum(n for status, n in self.statuses.items() if status in expected)

    @property
    def rps(self) -> float:
        return rate(self.requests, self.seconds)

    def p(self, q: float) -> float:
        """Latency percentile in milliseconds."""
        return percentile(self.latencies, q) * 1000.0


def get(path: str) -> RequestFor:
    """The same GET for every request."""
    return lambda _client, _n: ("GET", path, None)


async def _client_loop(
    client: httpx.AsyncClient,
    index: int,
    request_for: RequestFor,
    state: dict[str, Any],
    result: LoadResult | None,
) -> None:
    number = 0
    while time.perf_counter() < state["deadline"] and state["left"] > 0:
        state["left"] -= 1
        method, path, body = request_for(index, number)
        number += 1
        started = time.perf_counter()
        try:
            response = await client.request(method, path, json=body)
            await response.aread()
        except httpx.TransportError:
            if result is not None:
                result.transport_errors += 1
            continue
        if result is not None:
            result.latencies.append(time.perf_counter() - started)
            result.statuses[response.status_code] += 1


async def _run(
    base_url: str,
    request_for: RequestFor,
    *,
    clients: int,
    seconds: float,
    max_requests: int,
    warmup_requests: int,
    headers: dict[str, str] | None,
    on_start: Callable[[], None] | None,
) -> LoadResult:
    # One client (and one keep-alive connection) per loop: a single pool shared by dozens of
    # concurrent requests spends more CPU on pool bookkeeping than on HTTP (measured: ~8 ms
    # of client CPU per request at 32 concurrent requests on one httpx pool).
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    # Loopback HTTP needs no TLS, but every httpx client builds a TLS context (loading the CA
    # bundle, ~0.1 s each) unless it is handed one: build it once for all of them.
    tls = ssl.create_default_context()
    clients_list = [
        httpx.AsyncClient(
            base_url=base_url, limits=limits, timeout=60.0, headers=headers, verify=tls
        )
        for _ in range(clients)
    ]
    try:
        warm = {"deadline": time.perf_counter() + 30.0, "left": max(warmup_requests, clients)}
        await asyncio.gather(
            *(_client_loop(c, i, request_for, warm, None) for i, c in enumerate(clients_list))
        )
        if on_start is not None:
            on_start()
        result = LoadResult(seconds=0.0)
        started = time.perf_counter()
        state = {"deadline": started + seconds, "left": max_requests}
        await asyncio.gather(
            *(_client_loop(c, i, request_for, state, result) for i, c in enumerate(clients_list))
        )
        result.seconds = time.perf_counter() - started
        return result
    finally:
        for client in clients_list:
            await client.aclose()


def run_load(
    base_url: str,
    request_for: RequestFor,
    *,
    clients: int,
    seconds: float,
    max_requests: int,
    warmup_requests: int = 0,
    headers: dict[str, str] | None = None,
    on_start: Callable[[], None] | None = None,
) -> LoadResult:
    """Drive ``clients`` concurrent loops until ``seconds`` pass or ``max_requests`` are sent.

    ``on_start`` is called after the warm-up, right before the measured window opens (the
    caller reads the server's CPU clock there).
    """
    return asyncio.run(
        _run(
            base_url,
            request_for,
            clients=clients,
            seconds=seconds,
            max_requests=max_requests,
            warmup_requests=warmup_requests,
            headers=headers,
            on_start=on_start,
        )
    )
