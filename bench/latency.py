"""Time from acceptance to ``verified``: a steady trickle of events, then wait for the chain.

Events are posted through the HTTP API at a fixed rate (one client, paced), with the server's
anchoring worker running at the given batch settings. Once every event is anchored, each
event's latency is its batch's ``confirmed_at`` minus its own ``recorded_at``, both read from
the public API (``GET /api/v1/lots/{code}``, ``GET /api/v1/batches/{root}``): from that commit
on, ``GET …/verification`` answers ``verified``, which is checked for every lot at the end.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import httpx

from bench.config import LatencyRun
from bench.seed import ADMIN, HttpCooperative, http_event
from bench.server import ServerProcess
from bench.stats import percentile

SETTLE_TIMEOUT_S = 120.0


class NeverVerified(RuntimeError):
    """Some events were still not anchored long after the batch delay."""


@dataclass(frozen=True)
class LatencyResult:
    """Acceptance-to-verified latencies in seconds, one per event."""

    run: LatencyRun
    latencies: list[float]

    def p(self, q: float) -> float:
        return percentile(self.latencies, q)


def trickle(client: httpx.Client, coop: HttpCooperative, codes: list[str], run: LatencyRun) -> int:
    """Post events at ``run.rate_per_s`` for ``run.seconds``; returns how many were sent."""
    count = int(run.rate_per_s * run.seconds)
    started = time.monotonic()
    for n in range(count):
        wait = started + n / run.rate_per_s - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        http_event(client, coop, codes[n % len(codes)], n)
    return count


def _events(client: httpx.Client, code: str) -> list[dict[str, object]]:
    """The full record's events (the public view carries no anchoring status)."""
    answer = client.get(f"/api/v1/lots/{code}", headers=ADMIN)
    events: list[dict[str, object]] = answer.json()["events"]
    return events


def settle(client: httpx.Client, codes: list[str], timeout: float) -> list[dict[str, object]]:
    """Wait until every event of every lot is anchored; returns the events."""
    deadline = time.monotonic() + timeout
    while True:
        events = [e for code in codes for e in _events(client, code)]
        if all(e["status"] == "anchored" for e in events):
            return events
        if time.monotonic() > deadline:
            waiting = sum(e["status"] != "anchored" for e in events)
            raise NeverVerified(f"{waiting} events still not anchored after {timeout:g} s")
        time.sleep(0.5)


def measure_latency(
    server: ServerProcess, coop: HttpCooperative, codes: list[str], run: LatencyRun
) -> LatencyResult:
    with httpx.Client(base_url=server.url, timeout=60.0) as client:
        before = {e["id"] for code in codes for e in _events(client, code)}
        trickle(client, coop, codes, run)
        delay = run.batch_max_delay_s if run.batch_max_delay_s is not None else 30.0
        events = [
            e for e in settle(client, codes, delay + SETTLE_TIMEOUT_S) if e["id"] not in before
        ]
        confirmed: dict[str, datetime] = {}
        for root in {str(e["batch_root"]) for e in events}:
            batch = client.get(f"/api/v1/batches/{root}").json()
            confirmed[root] = datetime.fromisoformat(batch["confirmed_at"])
        for code in codes:
            verdict = client.get(f"/api/v1/lots/{code}/verification").json()["verdict"]
            if verdict != "verified":
                raise NeverVerified(f"lot {code} is {verdict} after all its batches confirmed")
    latencies = [
        (
            confirmed[str(e["batch_root"])] - datetime.fromisoformat(str(e["recorded_at"]))
        ).total_seconds()
        for e in events
    ]
    return LatencyResult(run, latencies)
