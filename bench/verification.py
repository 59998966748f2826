"""Verification under load: the public verdict endpoint and the consumer page vs bare FastAPI.

A server (uvicorn, the real app, the anchoring worker running, rate limiting off) holds a lot
with 20 signed events split off a parent lot of 3 (``config.parent_events``), all anchored and
final, so a read checks one ancestor as well as the lot. 32 concurrent wrk connections
(bench.wrk: a C load generator in its own process) then hit, for the same bounded time each:
a bare sync endpoint and a bare async endpoint on the same app (the baselines),
``GET /api/v1/lots/{code}/verification`` and the consumer page ``/l/{code}``. Every
verification read checks every event's stored canonical bytes, hash, leaf, proof and
signature (only chain facts and pure functions of their inputs are remembered). Reported per
endpoint: requests per second, p50/p99 latency, and the server's CPU time per request, which
does not depend on the load generator or the neighbours on the machine.

The whole measurement runs once per entry of ``config.server_workers``, each on a server of
its own (:func:`bench.server.running_server` with that many web workers, a fresh database,
the lot seeded again), so every ratio compares an endpoint with the baselines of the same
server. The server's CPU is always that of its whole process tree.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from backend.chain.client import ChainClient
from bench.chain import client_at, local_anvil
from bench.config import BenchConfig, describe_servers, processes
from bench.databases import LABELS, database
from bench.results import Row, SectionResult, number
from bench.seed import http_anchor_now, http_cooperative, http_event, http_lot, http_split
from bench.server import ServerProcess, running_server, server_env
from bench.stats import descendants, process_cpu_seconds
from bench.verify_split import CpuSplit, cpu_split
from bench.wrk import DEFAULT_TIMEOUT_S, WrkRequests, WrkResult, run_wrk, wrk_binary

log = logging.getLogger(__name__)

TARGET_SHARE = 1 / 3
TARGET_P99_MS = 50.0
#: The consumer page's targets: a quarter of the bare rate, p99 under 80 ms.
PAGE_TARGET_SHARE = 1 / 4
PAGE_TARGET_P99_MS = 80.0


@dataclass(frozen=True)
class Targets:
    """An endpoint's targets: a share of the bare endpoint's rate (and capacity), a p99."""

    share: float
    share_text: str
    p99_ms: float


#: The verification JSON's targets, then the consumer page's (in the order measured).
ENDPOINT_TARGETS = (
    Targets(TARGET_SHARE, "1/3", TARGET_P99_MS),
    Targets(PAGE_TARGET_SHARE, "1/4", PAGE_TARGET_P99_MS),
)
VERIFIED_TIMEOUT_S = 120.0
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
)
PAGE_HEADERS = {"User-Agent": PHONE_UA, "Accept": "text/html", "Accept-Language": "vi"}
#: The server counts as idle once it uses less than this much CPU in one poll interval.
IDLE_POLL_S = 0.1
IDLE_CPU_S = 0.02
IDLE_TIMEOUT_S = 5.0


class NotVerified(RuntimeError):
    """The seeded lot did not reach ``verified``; measuring it would measure the wrong path."""


@dataclass(frozen=True)
class CpuMark:
    """The server's CPU clock at one instant: its whole process tree, and each web worker's.

    ``tree`` is what per-request figures are made of (parent and workers alike);
    ``workers`` only says how the work was shared, and is empty for a one-process server.
    """

    tree: float
    workers: Mapping[int, float]


def cpu_mark(server: ServerProcess) -> CpuMark:
    """Read the server's CPU clock (see :class:`CpuMark`)."""
    workers: dict[int, float] = {}
    if server.workers > 1:
        for pid in descendants(server.pid):
            try:
                workers[pid] = process_cpu_seconds(pid)
            except OSError:
                continue  # ended since the scan
    return CpuMark(server.cpu_seconds(), workers)


def busiest_share(start: CpuMark, end: CpuMark) -> float | None:
    """The busiest web worker's part of all workers' CPU between two marks (1/N when even).

    None for a one-process server, or when the workers used no measurable CPU. A worker that
    appeared in between (a replacement) counts from zero.
    """
    used = [cpu - start.workers.get(pid, 0.0) for pid, cpu in end.workers.items()]
    total = sum(used)
    return max(used) / total if used and total > 0 else None


@dataclass(frozen=True)
class Measured:
    """One endpoint under load, with the server CPU it used in the measured window."""

    name: str
    load: WrkResult
    cpu_seconds: float
    #: :func:`busiest_share` of the window; None with one process.
    busiest: float | None = None

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000.0 * self.cpu_seconds / max(1, self.load.requests)


@dataclass(frozen=True)
class ServerRun:
    """Everything measured on one server: the baselines, then each endpoint loaded and alone."""

    workers: int
    bare: Measured
    bare_async: Measured
    loaded: tuple[Measured, ...]
    alone: tuple[Measured, ...]


def seed_verified_lot(server: ServerProcess, events: int, parent_events: int = 0) -> str:
    """A lot with ``events`` events, anchored and verified (every event signed with the
    custodial cooperative's key). With ``parent_events`` the lot is split off a harvest lot
    holding that many events (its first event, the split, names the parent), so every read
    checks one ancestor too; without, the lot is a harvest lot of its own."""
    with httpx.Client(base_url=server.url, timeout=60.0) as client:
        coop = http_cooperative(client)
        if parent_events:
            parent = http_lot(client, coop, "XOAI-PARENT-01")
            for n in range(parent_events - 1):
                http_event(client, coop, parent, n)
            code = http_split(client, coop, parent, "XOAI-VERIFY-01", "400")
        else:
            code = http_lot(client, coop, "XOAI-VERIFY-01")
        for n in range(events - 1):
            http_event(client, coop, code, n)
        http_anchor_now(client)
        body = wait_verified(client, code)
        if len(body["events"]) != events:
            raise NotVerified(f"lot {code} has {len(body['events'])} events, not {events}")
        page = client.get(f"/l/{code}", headers={"Accept": "text/html"})
        if page.status_code != 200 or "text/html" not in page.headers.get("content-type", ""):
            raise NotVerified(f"consumer page of {code}: {page.status_code}")
    return code


def wait_verified(client: httpx.Client, code: str, poll_s: float = 0.25) -> dict[str, Any]:
    """Poll the lot's verification until it reads ``verified`` (its answer), or raise
    :class:`NotVerified` after :data:`VERIFIED_TIMEOUT_S`."""
    deadline = time.monotonic() + VERIFIED_TIMEOUT_S
    while True:
        body: dict[str, Any] = client.get(f"/api/v1/lots/{code}/verification").json()
        if body.get("verdict") == "verified":
            return body
        if time.monotonic() > deadline:
            raise NotVerified(f"lot {code} is {body.get('verdict')}: {body.get('reason')}")
        time.sleep(poll_s)


def wait_idle(server: ServerProcess) -> None:
    """Wait until the server has answered the requests the warm-up left in flight.

    wrk stops with up to one request per connection still queued at the server, which goes on
    answering them after wrk has exited; their CPU must not open the measured window. The
    clock read is the whole process tree's, so with several web workers the server counts as
    idle only once all of them are. Its idle load (the anchoring worker polling in the parent,
    each worker's chain keeper) is far below the threshold: a few clock ticks a second.
    """
    deadline = time.monotonic() + IDLE_TIMEOUT_S
    last = server.cpu_seconds()
    while time.monotonic() < deadline:
        time.sleep(IDLE_POLL_S)
        now = server.cpu_seconds()
        if now - last < IDLE_CPU_S:
            return
        last = now
    log.warning("server still busy %g s after the warm-up; measuring anyway", IDLE_TIMEOUT_S)


def measure(
    server: ServerProcess,
    name: str,
    path: str,
    config: BenchConfig,
    *,
    clients: int,
    headers: dict[str, str] | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> Measured:
    """``clients`` concurrent wrk connections on ``path`` for the configured time.

    Every answer must be 200 and no connection may fail (bench.wrk raises otherwise). The
    server's CPU clock is read once it is idle after the warm-up and again when wrk exits.
    """
    marks: dict[str, CpuMark] = {}

    def mark_start() -> None:
        wait_idle(server)
        marks["cpu"] = cpu_mark(server)

    load = run_wrk(
        server.url,
        WrkRequests.get(path),
        connections=clients,
        seconds=config.verification_seconds,
        headers=headers,
        expect=frozenset({200}),
        on_start=mark_start,
        timeout_s=timeout_s,
    )
    end = cpu_mark(server)
    return Measured(name, load, end.tree - marks["cpu"].tree, busiest_share(marks["cpu"], end))


def _latency(m: Measured) -> str:
    return f"p50 {number(m.load.p(50))} ms, p99 {number(m.load.p(99))} ms"


def _bare_rows(result: SectionResult, label: str, clients: int, bare: list[Measured]) -> None:
    for m in bare:
        result.add(
            Row(
                f"[{label}] {m.name}, {clients} clients ({_latency(m)})",
                m.load.rps,
                "req/s",
                baseline=f"server CPU {number(m.cpu_ms_per_request)} ms/req",
            )
        )


def _endpoint_rows(
    result: SectionResult,
    label: str,
    m: Measured,
    bare: Measured,
    single: Measured,
    *,
    targets: Targets | None,
) -> None:
    """Throughput, server capacity, latency under load and alone, each against bare."""
    rps_share = m.load.rps / bare.load.rps
    capacity_share = bare.cpu_ms_per_request / m.cpu_ms_per_request
    p99 = m.load.p(99)
    result.add(
        Row(
            f"[{label}] {m.name}: throughput",
            m.load.rps,
            "req/s",
            baseline=f"bare sync {number(bare.load.rps)} req/s",
            ratio=rps_share,
            ratio_label="of bare",
            target=f"≥ {targets.share_text} of bare" if targets else "",
            holds=rps_share >= targets.share if targets else None,
        )
    )
    result.add(
        Row(
            f"[{label}] {m.name}: server CPU per request",
            m.cpu_ms_per_request,
            "ms",
            baseline=f"bare sync {number(bare.cpu_ms_per_request)} ms",
            ratio=capacity_share,
            ratio_label="of bare capacity",
            target=f"≥ {targets.share_text} of bare capacity" if targets else "",
            holds=capacity_share >= targets.share if targets else None,
        )
    )
    result.add(
        Row(
            f"[{label}] {m.name}: p99 latency under load (p50 {number(m.load.p(50))} ms)",
            p99,
            "ms",
            baseline=f"bare sync p99 {number(bare.load.p(99))} ms",
            ratio=p99 / bare.load.p(99),
            ratio_label="of bare",
            target=f"p99 < {targets.p99_ms:g} ms" if targets else "",
            holds=p99 < targets.p99_ms if targets else None,
        )
    )
    result.add(
        Row(
            f"[{label}] {m.name}: p99 latency, 1 client (p50 {number(single.load.p(50))} ms)",
            single.load.p(99),
            "ms",
        )
    )


def attached_client(server: ServerProcess, rpc_url: str) -> ChainClient:
    """A client of the node the server anchors to, attached to the server's registry."""
    address = httpx.get(f"{server.url}/readyz", timeout=30.0).json()["contract_address"]
    node_client = client_at(rpc_url)
    node_client.attach(address)
    return node_client


def split_repeat(config: BenchConfig) -> int:
    return 20 if config.quick else 300


def _targets(
    code: str, events: int, parent_events: int
) -> list[tuple[str, str, dict[str, str] | None]]:
    """(row name, path, headers) of the measured endpoints; the first is held to the targets."""
    lot = f"{events} events, parent of {parent_events}" if parent_events else f"{events} events"
    return [
        (
            f"GET /api/v1/lots/{{code}}/verification ({lot})",
            f"/api/v1/lots/{code}/verification",
            None,
        ),
        (f"consumer page /l/{{code}} ({lot}, phone)", f"/l/{code}", PAGE_HEADERS),
    ]


def measure_server(
    kind: str, workers: int, config: BenchConfig, rpc_url: str, *, with_split: bool
) -> tuple[ServerRun, CpuSplit | None]:
    """One server of ``workers`` web workers on a fresh ``kind`` database: seed, then measure.

    With ``with_split`` the in-process CPU split of one verification is measured too, on this
    server's database and registry (it does not depend on the server's process count).
    """
    slug = f"verification-{kind}-{workers}p"
    work = config.work_dir / slug
    clients = config.verification_clients
    url = database(kind, work / "db")
    env = server_env(
        data_dir=work / "data",
        database_url=url,
        rpc_url=rpc_url,
        overrides={"SENTRACE_BATCH_MAX_DELAY_S": "1"},
    )
    split = None
    with running_server(env, config.out_dir / "logs" / f"{slug}.log", workers=workers) as server:
        code = seed_verified_lot(server, config.lot_events, config.parent_events)
        targets = _targets(code, config.lot_events, config.parent_events)
        bare = measure(server, "bare FastAPI sync def", "/bench/bare", config, clients=clients)
        bare_async = measure(
            server, "bare FastAPI async def", "/bench/bare-async", config, clients=clients
        )
        loaded = tuple(
            measure(server, name, path, config, clients=clients, headers=headers)
            for name, path, headers in targets
        )
        alone = tuple(
            measure(server, name, path, config, clients=1, headers=headers)
            for name, path, headers in targets
        )
        if with_split:
            chain = attached_client(server, rpc_url)
            split = cpu_split(url, chain, code, repeat=split_repeat(config))
    return ServerRun(workers, bare, bare_async, loaded, alone), split


def _short(m: Measured) -> str:
    return m.name.split(" (")[0]


def _run_rows(result: SectionResult, label: str, run: ServerRun, config: BenchConfig) -> None:
    """The rows and notes of one server, labelled with its database and process count."""
    clients = config.verification_clients
    _bare_rows(result, label, clients, [run.bare, run.bare_async])
    for index, (m, single) in enumerate(zip(run.loaded, run.alone, strict=True)):
        targets = ENDPOINT_TARGETS[index] if index < len(ENDPOINT_TARGETS) else None
        _endpoint_rows(result, label, m, run.bare, single, targets=targets)
    under_load = [run.bare, run.bare_async, *run.loaded]
    counts = ", ".join(f"{_short(m)} {m.load.requests:,}" for m in under_load)
    note = (
        f"{label}: {clients} clients, {config.verification_seconds:g} s per endpoint; "
        f"requests measured: {counts}."
    )
    if run.workers > 1:
        shares = ", ".join(
            f"{_short(m)} {number(100 * m.busiest)} %" for m in under_load if m.busiest is not None
        )
        note += (
            f" Busiest worker's share of the {run.workers} workers' CPU "
            f"(even: {number(100 / run.workers)} %): {shares}."
        )
    result.notes.append(note)
    client_cpu = ", ".join(
        f"{_short(m)} {m.load.client_cpu_us_per_request:.0f} µs "
        f"(server {1000 * m.cpu_ms_per_request:.0f} µs)"
        for m in under_load
    )
    result.notes.append(f"{label}: wrk CPU per request, {clients} clients: {client_cpu}.")


def run_on(kind: str, config: BenchConfig, rpc_url: str, result: SectionResult) -> None:
    """Every configured process count on ``kind``, fewest processes first."""
    for index, workers in enumerate(config.server_workers):
        run, split = measure_server(kind, workers, config, rpc_url, with_split=index == 0)
        if split is not None:
            result.notes.append(
                f"{LABELS[kind]}: in-process CPU per verification of the same lot, by part: "
                f"{split.describe()}; total {split.total:.2f} ms (bench/verify_split.py)."
            )
        _run_rows(result, f"{LABELS[kind]}, {processes(workers)}", run, config)


def run(config: BenchConfig) -> SectionResult:
    result = SectionResult("verification", "Verification under load")
    wrk_binary()  # a missing load generator skips the section before anything starts
    with local_anvil(config.work_dir / "verification-anvil") as node:
        for kind in config.databases:
            if kind == "postgres" and not config.verification_on_postgres:
                result.notes.append("PostgreSQL not measured in this section with --quick.")
                continue
            run_on(kind, config, node.url, result)
    result.notes += [
        describe_servers(config.server_workers),
        "Load generator: wrk (Debian package, bench/wrk.py) in its own process, one thread "
        "and one keep-alive connection per client, a 1 s warm-up before every measurement. "
        "wrk and the server share the machine's 2 cores with everything else, so the ratios "
        "and the server CPU per request are the figures to compare, not the absolute rates. "
        "wrk's own CPU per request (above) is a fraction of the server's even for the bare "
        "endpoints, but it still competes for the same cores (more so when two server "
        "processes want both); the capacity share (bare CPU ÷ endpoint CPU) is the stricter "
        "figure.",
        "Latency is each request's own, from writing it to its last byte, recorded in wrk's "
        "Lua hooks; wrk's built-in percentiles are not used because they add synthetic "
        "samples for coordinated omission, which a closed loop of clients does not have. "
        "The server's CPU clock (every process of it) is read once it has finished the "
        "warm-up's last requests and again when wrk exits; every answer must be 200 and no "
        "connection may fail.",
        "A closed loop of N clients keeps N requests at the server, queued or being served, "
        "however many processes serve them, so latency under load ≈ N ÷ throughput (Little's "
        "law): a second process lowers it only as far as it raises throughput. The 1-client "
        "rows show the latency of one request with no queue.",
    ]
    return result
