"""Mixed load on PostgreSQL: consumer scans while writes and label printing go on.

One server (``sentrace serve --workers N``, ``config.mixed_workers`` processes, the anchoring
worker in the parent, rate limiting off) on a durable PostgreSQL database and a local anvil.
Seeded through the API: lots already verified for the scans (each split off a parent, so a
read checks an ancestor too), and lots of the writers' own.

First the scans run alone (wrk, ``config.mixed_scan_clients`` connections spread over the
verification JSON and the consumer page of the seeded lots) for ``config.verification_seconds``:
the baseline. Then, for ``config.mixed_seconds``, the same scans run while Python threads, each
with its own keep-alive connection, write without pause: single events, 100-event batches,
and A4 label sheets (20 serialised labels a PDF). Every answer's status is counted, of the
scans and of the writes; the targets are zero 5xx answers and a scan p99 under 100 ms while
ingest runs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from bench.chain import local_anvil
from bench.config import BenchConfig, processes
from bench.databases import database
from bench.results import Row, SectionResult, number
from bench.seed import (
    HttpCooperative,
    event_body,
    http_anchor_now,
    http_cooperative,
    http_event,
    http_lot,
    http_split,
)
from bench.server import ServerProcess, running_server, server_env
from bench.stats import percentile
from bench.verification import PAGE_HEADERS, wait_verified
from bench.wrk import WrkRequests, WrkResult, run_wrk, wrk_binary

log = logging.getLogger(__name__)

TARGET_SCAN_P99_MS = 100.0
BATCH_EVENTS = 100
#: Every status counts: a 5xx is a finding to report, not a reason to abandon the run.
ANY_STATUS = frozenset(range(100, 600))
SCAN_LOTS = 4
LABELS = {"count": 20, "layout": "a4", "format": "pdf", "serials": True}


@dataclass
class Writes:
    """What the writer threads sent and how it went, by kind of write."""

    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    events: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, status: int, events: int) -> None:
        with self.lock:
            self.statuses.setdefault(kind, Counter())[status] += 1
            self.latencies.setdefault(kind, []).append(seconds)
            if 200 <= status < 300:
                self.events += events

    def server_errors(self) -> int:
        return sum(n for c in self.statuses.values() for s, n in c.items() if s >= 500)


def seed_scan_lots(client: httpx.Client, coop: HttpCooperative, lot_events: int) -> list[str]:
    codes = []
    for index in range(SCAN_LOTS):
        parent = http_lot(client, coop, f"XOAI-SCAN-P{index}")
        http_event(client, coop, parent, 0)
        code = http_split(client, coop, parent, f"XOAI-SCAN-{index}", "400")
        for n in range(lot_events - 1):
            http_event(client, coop, code, n)
        codes.append(code)
    http_anchor_now(client)
    for code in codes:
        wait_verified(client, code)
    return codes


def scans(codes: list[str]) -> WrkRequests:
    paths = [p for c in codes for p in (f"/api/v1/lots/{c}/verification", f"/l/{c}")]
    return WrkRequests(paths=tuple(paths))


def _writer(
    url: str,
    stop: threading.Event,
    writes: Writes,
    kind: str,
    send: Callable[[httpx.Client, int], tuple[int, int]],
) -> None:
    with httpx.Client(base_url=url, timeout=120.0) as client:
        n = 0
        while not stop.is_set():
            started = time.perf_counter()
            try:
                status, events = send(client, n)
            except httpx.HTTPError:
                status, events = 599, 0  # counted with the server errors: nothing came back
            writes.record(kind, time.perf_counter() - started, status, events)
            n += 1


def writers(
    url: str, coop: HttpCooperative, lots: dict[str, str], writes: Writes, stop: threading.Event
) -> list[threading.Thread]:
    def single_on(lot: str) -> Callable[[httpx.Client, int], tuple[int, int]]:
        def single(client: httpx.Client, n: int) -> tuple[int, int]:
            path = f"/api/v1/lots/{lot}/events"
            return client.post(path, json=event_body(n), headers=coop.headers).status_code, 1

        return single

    def batch(client: httpx.Client, n: int) -> tuple[int, int]:
        items = [
            {"lot": lots["batch"], **event_body(n * BATCH_EVENTS + j)} for j in range(BATCH_EVENTS)
        ]
        answer = client.post("/api/v1/events/batch", json={"events": items}, headers=coop.headers)
        return answer.status_code, BATCH_EVENTS

    def labels(client: httpx.Client, n: int) -> tuple[int, int]:
        path = f"/api/v1/lots/{lots['labels']}/labels"
        return client.post(path, json=LABELS, headers=coop.headers).status_code, 0

    jobs = [
        ("single event", single_on(lots["single-1"])),
        ("single event", single_on(lots["single-2"])),
        ("batch of 100", batch),
        ("A4 labels", labels),
    ]
    return [
        threading.Thread(target=_writer, args=(url, stop, writes, kind, send), daemon=True)
        for kind, send in jobs
    ]


def scan_rows(result: SectionResult, label: str, alone: WrkResult, loaded: WrkResult) -> None:
    p99 = loaded.p(99)
    result.add(
        Row(
            f"[{label}] scans while writes and labels run: p99 (p50 {number(loaded.p(50))} ms, "
            f"{number(loaded.rps)} req/s)",
            p99,
            "ms",
            baseline=f"scans alone p99 {number(alone.p(99))} ms, {number(alone.rps)} req/s",
            ratio=p99 / alone.p(99),
            ratio_label="of alone",
            target=f"p99 < {TARGET_SCAN_P99_MS:g} ms",
            holds=p99 < TARGET_SCAN_P99_MS,
        )
    )


def run_on(server: ServerProcess, config: BenchConfig, result: SectionResult, label: str) -> None:
    with httpx.Client(base_url=server.url, timeout=60.0) as client:
        coop = http_cooperative(client)
        codes = seed_scan_lots(client, coop, config.lot_events)
        lots = {
            kind: http_lot(client, coop, f"XOAI-WRITE-{kind.upper()}")
            for kind in ("single-1", "single-2", "batch", "labels")
        }

    def scan_for(seconds: float) -> WrkResult:
        return run_wrk(server.url, scans(codes), connections=config.mixed_scan_clients,
                       seconds=seconds, headers=PAGE_HEADERS, expect=ANY_STATUS)  # fmt: skip

    alone = scan_for(config.verification_seconds)
    writes, stop = Writes(), threading.Event()
    threads = writers(server.url, coop, lots, writes, stop)
    for thread in threads:
        thread.start()
    try:
        loaded = scan_for(config.mixed_seconds)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=180.0)
    scan_rows(result, label, alone, loaded)
    scan_errors = sum(n for s, n in loaded.statuses.items() if s >= 500) + loaded.transport_errors
    errors = scan_errors + writes.server_errors()
    result.add(
        Row(
            f"[{label}] 5xx answers and failed connections, scans and writes",
            errors,
            "answers",
            target="0",
            holds=errors == 0,
        )
    )
    result.add(
        Row(
            f"[{label}] events accepted while scans run (single events and batches)",
            writes.events / loaded.seconds,
            "events/s",
        )
    )
    for kind, latencies in sorted(writes.latencies.items()):
        statuses = dict(sorted(writes.statuses[kind].items()))
        result.notes.append(
            f"{label}, {kind}: {len(latencies):,} requests, p50 "
            f"{number(1000 * percentile(latencies, 50))} ms, p99 "
            f"{number(1000 * percentile(latencies, 99))} ms, statuses {statuses}."
        )
    result.notes.append(
        f"{label}, scans: statuses alone {dict(sorted(alone.statuses.items()))}, "
        f"under writes {dict(sorted(loaded.statuses.items()))}."
    )


def run(config: BenchConfig) -> SectionResult:
    result = SectionResult("mixed", "Mixed load on PostgreSQL")
    wrk_binary()
    work = config.work_dir / "mixed"
    workers = config.mixed_workers
    label = f"PostgreSQL, {processes(workers)}"
    with local_anvil(work / "anvil") as node:
        env = server_env(
            data_dir=work / "data",
            database_url=database("postgres", work / "db"),
            rpc_url=node.url,
            overrides={"SENTRACE_BATCH_MAX_DELAY_S": "2"},
        )
        with running_server(env, config.out_dir / "logs" / "mixed.log", workers=workers) as server:
            run_on(server, config, result, label)
    result.notes.append(
        f"{label}: scans by wrk over {config.mixed_scan_clients} connections ({SCAN_LOTS} lots "
        f"of {config.lot_events} events with a parent, verification JSON and consumer page), "
        f"{config.verification_seconds:g} s alone then {config.mixed_seconds:g} s beside four "
        "writer threads (two posting single events, one 100-event batches, one A4 sheets of "
        "20 serialised labels), each waiting for its answer before the next request."
    )
    return result
