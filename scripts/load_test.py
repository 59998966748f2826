"""A bounded load test of one SenTrace server: writes from many organisations and consumer scans.

    python scripts/load_test.py --base-url http://127.0.0.1:8000 --admin-token TOKEN \\
        [--duration 60] [--orgs 20] [--workers 16] [--max-requests 100000] [--json report.json]

What it does, in order:

1. **Set-up** through the API: ``--orgs`` organisations (three in four are cooperatives with a
   farm each, the rest packers) and one product.
2. **Load** for ``--duration`` seconds, or until ``--max-requests`` requests, whichever comes
   first: ``--workers`` threads each pick, at random (``--seed``), one of: a cooperative records
   a harvest lot; the holder of a lot records an observation (quality check, input application,
   processing, packing); a cooperative hands a lot to a packer; a consumer scans a lot (the
   label page or the verification JSON).
3. **Drain**: waits (up to ``--drain-timeout``) until every event the server accepted (answered
   2xx with its id) reads ``anchored`` in the public lot record.

It prints a report (requests, status codes, p50/p95/p99/max latency per kind of request) and
exits 0 only with zero 5xx answers, zero transport errors and zero accepted events missing or
unanchored after the drain. It refuses any base URL that is not on the loopback interface: this
tool is for measuring our own server on our own machine, never someone else's.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import math
import random
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

DEFAULT_DURATION_S = 60.0
DEFAULT_ORGS = 20
DEFAULT_WORKERS = 16
DEFAULT_MAX_REQUESTS = 100_000
DEFAULT_DRAIN_TIMEOUT_S = 180.0
OBSERVATIONS = ("quality_check", "processing", "input_application", "packing")
REQUEST_TIMEOUT_S = 30.0


class NotLoopback(ValueError):
    """The base URL points somewhere other than this machine."""


def require_loopback(base_url: str) -> str:
    """``base_url`` without a trailing slash, if its host is a loopback address."""
    host = urlsplit(base_url).hostname or ""
    if host != "localhost":
        try:
            if not ipaddress.ip_address(host).is_loopback:
                raise NotLoopback(f"{host} is not a loopback address")
        except ValueError as exc:
            raise NotLoopback(f"refusing {base_url!r}: only loopback servers are tested") from exc
    return base_url.rstrip("/")


@dataclass
class Config:
    base_url: str
    admin_token: str
    duration_s: float = DEFAULT_DURATION_S
    orgs: int = DEFAULT_ORGS
    workers: int = DEFAULT_WORKERS
    max_requests: int = DEFAULT_MAX_REQUESTS
    drain_timeout_s: float = DEFAULT_DRAIN_TIMEOUT_S
    seed: int = 1


@dataclass
class Org:
    slug: str
    role: str
    headers: dict[str, str]
    farm: str | None = None


@dataclass
class World:
    """Who exists and who holds which lot; shared by the worker threads."""

    coops: list[Org]
    packers: list[Org]
    product: str
    held: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    lots: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_lot: int = 0

    def new_code(self, org: Org) -> str:
        with self.lock:
            self.next_lot += 1
            return f"LT-{org.slug}-{self.next_lot}"

    def add(self, org: Org, code: str) -> None:
        with self.lock:
            self.held[org.slug].append(code)
            self.lots.append(code)

    def take(self, org: Org) -> str | None:
        """Remove and return one lot ``org`` holds (so no two threads move it at once)."""
        with self.lock:
            mine = self.held[org.slug]
            return mine.pop(random.randrange(len(mine))) if mine else None

    def give(self, org: Org, code: str) -> None:
        with self.lock:
            self.held[org.slug].append(code)

    def any_lot(self) -> str | None:
        with self.lock:
            return random.choice(self.lots) if self.lots else None


@dataclass
class Tally:
    """Everything measured, guarded by one lock."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[str] = field(default_factory=Counter)
    accepted: dict[str, str] = field(default_factory=dict)  # event id -> lot code
    transport_errors: int = 0
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, status: int | None) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            if status is None:
                self.transport_errors += 1
                self.statuses["transport-error"] += 1
            else:
                self.statuses[str(status)] += 1

    def accept(self, event_id: str, lot: str) -> None:
        with self.lock:
            self.accepted[event_id] = lot

    def claim_request(self, limit: int) -> bool:
        with self.lock:
            if self.requests >= limit:
                return False
            self.requests += 1
            return True


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (``fraction`` in 0..1) of ``values``; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


# ------------------------------------------------------------------------------ set-up


def set_up(http: httpx.Client, config: Config) -> World:
    admin = {"Authorization": f"Bearer {config.admin_token}"}
    coops: list[Org] = []
    packers: list[Org] = []
    run = f"{random.randrange(16**6):06x}"
    for i in range(config.orgs):
        role = "packer" if i % 4 == 3 else "cooperative"
        slug = f"{'htx' if role == 'cooperative' else 'dg'}-{run}-{i:02d}"
        made = http.post(
            "/api/v1/orgs",
            json={
                "slug": slug,
                "name": f"Tổ chức {i} Đồng Tháp",
                "role": role,
                "key_custody": "custodial",  # the server signs: one request per write
            },
            headers=admin,
        )
        made.raise_for_status()
        org = Org(slug, role, {"Authorization": f"Bearer {made.json()['api_key']}"})
        if role == "cooperative":
            org.farm = f"F-{run}-{i:02d}"
            farm = {"code": org.farm, "name": f"Vườn số {i}", "commune": "Mỹ Xương"}
            http.post("/api/v1/farms", json=farm, headers=org.headers).raise_for_status()
            coops.append(org)
        else:
            packers.append(org)
    product = {"code": f"xoai-{run}", "name_vi": "Xoài cát Hòa Lộc"}
    http.post("/api/v1/products", json=product, headers=coops[0].headers).raise_for_status()
    return World(coops, packers, product["code"])


# ------------------------------------------------------------------------------ actions

Action = Callable[[httpx.Client, World, Tally], None]


def timed(tally: Tally, kind: str, send: Callable[[], httpx.Response]) -> httpx.Response | None:
    start = time.perf_counter()
    try:
        response = send()
    except httpx.HTTPError:
        tally.record(kind, time.perf_counter() - start, None)
        return None
    tally.record(kind, time.perf_counter() - start, response.status_code)
    return response


def harvest(http: httpx.Client, world: World, tally: Tally) -> None:
    org = random.choice(world.coops)
    code = world.new_code(org)
    body = {
        "code": code,
        "product": world.product,
        "farm": org.farm,
        "quantity": str(random.randint(100, 5000)),
        "unit": "kg",
        "harvested_at": "2026-05-01T06:30:00+07:00",
    }
    response = timed(
        tally, "write:harvest", lambda: http.post("/api/v1/lots", json=body, headers=org.headers)
    )
    if response is not None and response.status_code == 201:
        tally.accept(response.json()["event"]["id"], code)
        world.add(org, code)


def observe(http: httpx.Client, world: World, tally: Tally) -> None:
    org = random.choice(world.coops + world.packers)
    code = world.take(org)
    if code is None:
        return harvest(http, world, tally)
    kind = random.choice(OBSERVATIONS)
    data: dict[str, Any] = {"note": "ghi nhận tự động"}
    if kind == "quality_check":
        data = {"result": random.choice(["pass", "fail"])}
    elif kind == "input_application":
        data = {
            "product": "Antracol 70WP",
            "active_ingredient": "propineb",
            "dose": "0.5",
            "unit": "kg/ha",
            "pre_harvest_interval_days": 7,
        }
    body = {"type": kind, "occurred_at": "2026-05-02T08:00:00+07:00", "data": data}
    path = f"/api/v1/lots/{code}/events"
    response = timed(tally, "write:event", lambda: http.post(path, json=body, headers=org.headers))
    world.give(org, code)
    if response is not None and response.status_code == 201:
        tally.accept(response.json()["id"], code)
    return None


def transfer(http: httpx.Client, world: World, tally: Tally) -> None:
    org = random.choice(world.coops)
    code = world.take(org)
    if code is None:
        return harvest(http, world, tally)
    packer = random.choice(world.packers)
    path = f"/api/v1/lots/{code}/transfer"
    response = timed(
        tally,
        "write:transfer",
        lambda: http.post(path, json={"to": packer.slug}, headers=org.headers),
    )
    if response is None or response.status_code != 200:
        world.give(org, code)
        return None
    tally.accept(response.json()["event"]["id"], code)
    # Two-step custody: the packer receives the lot before it holds it.
    received = timed(
        tally,
        "write:receive",
        lambda: http.post(f"/api/v1/lots/{code}/receive", json={}, headers=packer.headers),
    )
    if received is not None and received.status_code == 200:
        tally.accept(received.json()["event"]["id"], code)
        world.give(packer, code)
    return None


def scan(http: httpx.Client, world: World, tally: Tally) -> None:
    code = world.any_lot()
    if code is None:
        return harvest(http, world, tally)
    if random.random() < 0.5:
        timed(tally, "read:page", lambda: http.get(f"/l/{code}", headers={"Accept": "text/html"}))
    else:
        timed(tally, "read:verification", lambda: http.get(f"/api/v1/lots/{code}/verification"))
    return None


ACTIONS: list[tuple[Action, int]] = [(harvest, 2), (observe, 4), (transfer, 1), (scan, 5)]


def worker(config: Config, world: World, tally: Tally, deadline: float, seed: int) -> None:
    chooser = random.Random(seed)
    actions, weights = zip(*ACTIONS, strict=True)
    with httpx.Client(base_url=config.base_url, timeout=REQUEST_TIMEOUT_S) as http:
        while time.monotonic() < deadline and tally.claim_request(config.max_requests):
            chooser.choices(actions, weights)[0](http, world, tally)


# -------------------------------------------------------------------------------- drain


def lot_events(http: httpx.Client, code: str, admin: dict[str, str]) -> list[dict[str, Any]]:
    """The full record's events of ``code`` (each with its anchoring status, which the public
    view leaves out), waiting out a rate limit if there is one."""
    for _ in range(10):
        response = http.get(f"/api/v1/lots/{code}", headers=admin)
        if response.status_code == 429:
            time.sleep(float(response.headers.get("retry-after", "1")))
            continue
        response.raise_for_status()
        events: list[dict[str, Any]] = response.json()["events"]
        return events
    raise RuntimeError(f"lot {code}: still rate-limited after ten tries")


def drain(
    http: httpx.Client, tally: Tally, timeout_s: float, admin: dict[str, str]
) -> dict[str, Any]:
    """Wait until every accepted event reads ``anchored``; re-reads only lots still waiting."""
    started = time.monotonic()
    deadline = started + timeout_s
    wanted = set(tally.accepted)
    waiting = set(tally.accepted.values())
    seen: set[str] = set()
    anchored: set[str] = set()
    while waiting:
        for code in sorted(waiting):
            for event in lot_events(http, code, admin):
                seen.add(event["id"])
                if event["status"] == "anchored":
                    anchored.add(event["id"])
        waiting = {tally.accepted[e] for e in wanted - anchored}
        if not waiting or time.monotonic() >= deadline:
            break
        time.sleep(1.0)
    return {
        "accepted": len(wanted),
        "stored": len(wanted & seen),
        "anchored": len(wanted & anchored),
        "missing": sorted(wanted - seen)[:20],
        "unanchored": sorted(wanted - anchored)[:20],
        "drain_s": round(time.monotonic() - started, 1),
    }


# ------------------------------------------------------------------------------- report


def summarise(
    config: Config, tally: Tally, elapsed: float, drained: dict[str, Any]
) -> dict[str, Any]:
    kinds = {}
    for kind, values in sorted(tally.latencies.items()):
        kinds[kind] = {
            "count": len(values),
            "p50_ms": round(1000 * percentile(values, 0.50), 1),
            "p95_ms": round(1000 * percentile(values, 0.95), 1),
            "p99_ms": round(1000 * percentile(values, 0.99), 1),
            "max_ms": round(1000 * max(values), 1),
        }
    server_errors = sum(n for status, n in tally.statuses.items() if status.startswith("5"))
    return {
        "config": {k: v for k, v in asdict(config).items() if k != "admin_token"},
        "elapsed_s": round(elapsed, 1),
        "requests": tally.requests,
        "requests_per_s": round(tally.requests / elapsed, 1) if elapsed else 0.0,
        "statuses": dict(sorted(tally.statuses.items())),
        "server_errors": server_errors,
        "transport_errors": tally.transport_errors,
        "latency": kinds,
        "events": drained,
        "ok": server_errors == 0
        and tally.transport_errors == 0
        and drained["accepted"] == drained["anchored"]
        and drained["accepted"] > 0,
    }


def render(report: dict[str, Any]) -> str:
    lines = [
        f"Load test of {report['config']['base_url']}: {report['requests']} requests in "
        f"{report['elapsed_s']} s ({report['requests_per_s']}/s) from "
        f"{report['config']['workers']} workers, {report['config']['orgs']} organisations",
        f"Statuses: {report['statuses']}",
        f"5xx: {report['server_errors']}   transport errors: {report['transport_errors']}",
        "",
        f"{'kind':<20}{'count':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'max ms':>10}",
    ]
    for kind, row in report["latency"].items():
        lines.append(
            f"{kind:<20}{row['count']:>8}{row['p50_ms']:>10}{row['p95_ms']:>10}"
            f"{row['p99_ms']:>10}{row['max_ms']:>10}"
        )
    events = report["events"]
    lines += [
        "",
        f"Events accepted {events['accepted']}, stored {events['stored']}, anchored "
        f"{events['anchored']} after a drain of {events['drain_s']} s",
        "RESULT: " + ("OK" if report["ok"] else "FAILED"),
    ]
    return "\n".join(lines)


def run(config: Config) -> dict[str, Any]:
    """Set up, load, drain; the report as a dict (see :func:`summarise`)."""
    config.base_url = require_loopback(config.base_url)
    random.seed(config.seed)
    tally = Tally()
    with httpx.Client(base_url=config.base_url, timeout=REQUEST_TIMEOUT_S) as http:
        world = set_up(http, config)
        started = time.monotonic()
        deadline = started + config.duration_s
        threads = [
            threading.Thread(
                target=worker, args=(config, world, tally, deadline, config.seed * 1000 + i)
            )
            for i in range(config.workers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=config.duration_s + 2 * REQUEST_TIMEOUT_S)
        elapsed = time.monotonic() - started
        admin = {"Authorization": f"Bearer {config.admin_token}"}
        drained = drain(http, tally, config.drain_timeout_s, admin)
    return summarise(config, tally, elapsed, drained)


def parse_args(argv: list[str] | None = None) -> tuple[Config, str | None]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True, help="loopback URL of the server")
    parser.add_argument("--admin-token", required=True, help="the server's SENTRACE_ADMIN_TOKEN")
    parser.add_argument("--duration", type=float, default=DEFAULT_DURATION_S, help="seconds")
    parser.add_argument("--orgs", type=int, default=DEFAULT_ORGS)
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--max-requests", type=int, default=DEFAULT_MAX_REQUESTS)
    parser.add_argument("--drain-timeout", type=float, default=DEFAULT_DRAIN_TIMEOUT_S)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="also write the report here")
    args = parser.parse_args(argv)
    if args.orgs < 4 or args.workers < 1 or args.duration <= 0 or args.max_requests < 1:
        parser.error("need --orgs ≥ 4, --workers ≥ 1, --duration > 0, --max-requests ≥ 1")
    config = Config(
        base_url=args.base_url,
        admin_token=args.admin_token,
        duration_s=args.duration,
        orgs=args.orgs,
        workers=args.workers,
        max_requests=args.max_requests,
        drain_timeout_s=args.drain_timeout,
        seed=args.seed,
    )
    return config, args.json


def main(argv: list[str] | None = None) -> int:
    config, json_path = parse_args(argv)
    try:
        report = run(config)
    except NotLoopback as exc:
        print(exc, file=sys.stderr)
        return 2
    print(render(report))
    if json_path:
        with open(json_path, "w", encoding="utf-8") as handle:
            json.dump(report, handle, ensure_ascii=False, indent=2)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
