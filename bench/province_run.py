"""One province run against a live server: set-up, the compressed day, then two saturation probes.

1. **Set-up** (not measured): the sampled cooperatives and packers, and the lots on the
   shelves that consumers scan (packed, labelled with serials, anchored and verified).
2. **The day**: ``scale.events`` events on the write curve and ``scale.scans`` scans on the
   scan curve, both squeezed into ``day_seconds``, writers and scanners at the same time.
   Then the run waits until everything the day wrote is anchored and confirmed.
3. **Probes**, each alone on the server: writers with the day's mix of requests sending as
   fast as answers come (ingest capacity), and wrk scanning the shelf lots (scan capacity,
   with the server's and PostgreSQL's CPU per scan).

The day measures whether the server keeps up with a province's curve at ``rate_factor``
times its real rates; the probes measure how far above that the machine could go.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from bench.postgres import server_pids
from bench.province_load import (
    REQUEST_TIMEOUT_S,
    Lot,
    Org,
    ScanLot,
    ScanQueue,
    Tally,
    make_orgs,
    plan_scans,
    scan_loop,
    scan_paths,
    seed_scan_lot,
    wait_all_verified,
    write_lots,
)
from bench.province_plan import SCAN_CURVE, Scale, lots_for, plan_writes
from bench.seed import http_anchor_now
from bench.server import ServerProcess
from bench.stats import tree_cpu_seconds
from bench.verification import PAGE_HEADERS
from bench.wrk import WrkRequests, WrkResult, run_wrk

#: Every status counts: a 5xx is a finding to report, not a reason to abandon the run.
ANY_STATUS = frozenset(range(100, 600))
JOIN_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class Sizes:
    """How a run is driven (the scale is separate: it says what the run stands for)."""

    writers: int
    scanners: int
    shelf_lots: int
    serials: int
    probe_seconds: float
    probe_connections: int


@dataclass(frozen=True)
class Cast:
    """The sampled organisations and the shelf lots consumers scan."""

    cooperatives: list[Org]
    packers: list[Org]
    shelf: list[ScanLot]


def set_up(server: ServerProcess, scale: Scale, sizes: Sizes) -> Cast:
    """Organisations and shelf lots, the shelf anchored and verified before the day starts."""
    with httpx.Client(base_url=server.url, timeout=REQUEST_TIMEOUT_S) as client:
        coops, packers = make_orgs(client, scale.cooperatives, scale.packers)
        shelf = []
        for i in range(sizes.shelf_lots):
            coop, packer = coops[i % len(coops)], packers[i % len(packers)]
            shelf.append(seed_scan_lot(client, coop, packer, f"CHO-{i:03d}", sizes.serials))
        http_anchor_now(client)
        wait_all_verified(client, shelf)
    return Cast(coops, packers, shelf)


def day_lots(cast: Cast, count: int, prefix: str) -> list[Lot]:
    """``count`` lots, cooperative and packer taken round the sample."""
    coops, packers = cast.cooperatives, cast.packers
    return [
        Lot(f"{prefix}-{i:06d}", coops[i % len(coops)], packers[i % len(packers)])
        for i in range(count)
    ]


@dataclass(frozen=True)
class Day:
    """What the day's writers and scanners saw, when the day ran (monotonic seconds), and the
    CPU seconds each part of the machine spent on it (see :func:`cpu_clock`)."""

    writes: Tally
    scans: Tally
    started: float
    seconds: float
    cpu: dict[str, float]


def cpu_clock(server: ServerProcess) -> dict[str, float]:
    """CPU seconds so far of the app (server process tree), each PostgreSQL server, and this
    process (the load generator: writers and scanners share the machine with the server)."""
    clock = {"app": server.cpu_seconds()}
    clock.update({f"PostgreSQL {name}": cpu for name, cpu in _database_cpu().items()})
    clock["load generator"] = time.process_time()
    return clock


def _threads(targets: list[tuple[Callable[..., None], tuple[Any, ...]]]) -> list[threading.Thread]:
    threads = [threading.Thread(target=t, args=a, daemon=True) for t, a in targets]
    for thread in threads:
        thread.start()
    return threads


def _join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(timeout=JOIN_TIMEOUT_S)


def run_day(server: ServerProcess, cast: Cast, scale: Scale, sizes: Sizes) -> Day:
    """The compressed day: writers and scanners from the same start, until both are done."""
    lots = day_lots(cast, lots_for(scale.events), "NGAY")
    plans = plan_writes(len(lots), scale.day_seconds, sizes.writers)
    scans = plan_scans(SCAN_CURVE.times(scale.scans, scale.day_seconds), cast.shelf)
    queue, writes, reads, stop = ScanQueue(scans), Tally(), Tally(), threading.Event()
    start = time.monotonic() + 0.5  # every thread is waiting before the first instant
    threads = _threads(
        [(write_lots, (server.url, plan, lots, start, writes, stop)) for plan in plans]
        + [(scan_loop, (server.url, queue, start, reads, stop))] * sizes.scanners
    )
    before = cpu_clock(server)
    _join(threads)
    spent = {name: cpu - before[name] for name, cpu in cpu_clock(server).items()}
    return Day(writes, reads, start, time.monotonic() - start, spent)


@dataclass(frozen=True)
class WriteProbe:
    """Writers at saturation, with the CPU seconds each part of the machine spent meanwhile."""

    tally: Tally
    seconds: float
    cpu: dict[str, float]

    @property
    def events_per_s(self) -> float:
        return self.tally.events / self.seconds if self.seconds else 0.0

    def per_event_ms(self, part: str) -> float:
        return 1000.0 * self.cpu[part] / max(1, self.tally.events)


def probe_writes(server: ServerProcess, cast: Cast, sizes: Sizes) -> WriteProbe:
    """The day's mix of write requests, as fast as answers come, for ``probe_seconds``."""
    lots = day_lots(cast, sizes.writers * 200, "THU")  # more than a probe can get through
    plans = plan_writes(len(lots), 0.0, sizes.writers)
    tally, stop = Tally(), threading.Event()
    before, start = cpu_clock(server), time.monotonic()
    threads = _threads([(write_lots, (server.url, p, lots, start, tally, stop)) for p in plans])
    stop.wait(sizes.probe_seconds)
    stop.set()
    _join(threads)
    seconds = time.monotonic() - start
    spent = {name: cpu - before[name] for name, cpu in cpu_clock(server).items()}
    return WriteProbe(tally, seconds, spent)


@dataclass(frozen=True)
class ScanProbe:
    """wrk at saturation, with the CPU seconds the app and each PostgreSQL server ("primary",
    "replica") spent in the measured window."""

    load: WrkResult
    app_cpu_s: float
    database_cpu_s: dict[str, float]

    def per_scan_ms(self, cpu_s: float) -> float:
        return 1000.0 * cpu_s / max(1, self.load.requests)


def _database_cpu() -> dict[str, float]:
    return {name: tree_cpu_seconds(pid) for name, pid in server_pids().items()}


def probe_scans(server: ServerProcess, cast: Cast, sizes: Sizes) -> ScanProbe:
    """wrk over the shelf lots' pages and verification JSON, half each, closed loop."""
    paths = []
    for i in range(sizes.probe_connections):
        page, verification = scan_paths(cast.shelf[i % len(cast.shelf)], i)
        paths.append((page if i % 2 == 0 else verification).path)
    marks: dict[str, float] = {}

    def mark() -> None:
        marks.update(_database_cpu(), app=server.cpu_seconds())

    load = run_wrk(
        server.url,
        WrkRequests(paths=tuple(paths)),
        connections=sizes.probe_connections,
        seconds=sizes.probe_seconds,
        headers=PAGE_HEADERS,
        expect=ANY_STATUS,
        on_start=mark,
    )
    app = server.cpu_seconds() - marks["app"]
    database = {name: cpu - marks[name] for name, cpu in _database_cpu().items()}
    return ScanProbe(load, app, database)
