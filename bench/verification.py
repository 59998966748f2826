"""Verification under load: the public verdict endpoint and the consumer page vs bare FastAPI.

One server process (uvicorn, the real app, the anchoring worker running) holds a lot with
20 events, all anchored and final. 32 concurrent wrk connections (bench.wrk: a C load
generator in its own process) then hit, for the same bounded time each: a bare sync endpoint
and a bare async endpoint on the same app (the baselines),
``GET /api/v1/lots/{code}/verification`` and the consumer page ``/l/{code}``. Every
verification read recomputes every event's canonical document, hash, leaf and proof (nothing
but final chain facts is cached). Reported per endpoint: requests per second, p50/p99
latency, and the server's CPU time per request, which does not depend on the load generator
or the neighbours on the machine.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import httpx

from backend.chain.client import ChainClient
from bench.chain import client_at, local_anvil
from bench.config import BenchConfig
from bench.databases import LABELS, database
from bench.results import Row, SectionResult, number
from bench.seed import http_anchor_now, http_cooperative, http_event, http_lot
from bench.server import ServerProcess, running_server, server_env
from bench.verify_split import cpu_split
from bench.wrk import WrkRequests, WrkResult, run_wrk, wrk_binary

log = logging.getLogger(__name__)

TARGET_SHARE = 1 / 3
TARGET_P99_MS = 50.0
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
class Measured:
    """One endpoint under load, with the server CPU it used in the measured window."""

    name: str
    load: WrkResult
    cpu_seconds: float

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000.0 * self.cpu_seconds / max(1, self.load.requests)


def seed_verified_lot(server: ServerProcess, events: int) -> str:
    """A lot with ``events`` events (harvest included), anchored and verified."""
    with httpx.Client(base_url=server.url, timeout=60.0) as client:
        coop = http_cooperative(client)
        code = http_lot(client, coop, "XOAI-VERIFY-01")
        for n in range(events - 1):
            http_event(client, coop, code, n)
        http_anchor_now(client)
        deadline = time.monotonic() + VERIFIED_TIMEOUT_S
        while True:
            body = client.get(f"/api/v1/lots/{code}/verification").json()
            if body.get("verdict") == "verified":
                break
            if time.monotonic() > deadline:
                raise NotVerified(f"lot {code} is {body.get('verdict')}: {body.get('reason')}")
            time.sleep(0.25)
        if len(body["events"]) != events:
            raise NotVerified(f"lot {code} has {len(body['events'])} events, not {events}")
        page = client.get(f"/l/{code}", headers={"Accept": "text/html"})
        if page.status_code != 200 or "text/html" not in page.headers.get("content-type", ""):
            raise NotVerified(f"consumer page of {code}: {page.status_code}")
    return code


def wait_idle(server: ServerProcess) -> None:
    """Wait until the server has answered the requests the warm-up left in flight.

    wrk stops with up to one request per connection still queued at the server, which goes on
    answering them after wrk has exited; their CPU must not open the measured window. The
    server's idle load (the anchoring worker polling) is far below the threshold.
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
) -> Measured:
    """``clients`` concurrent wrk connections on ``path`` for the configured time.

    Every answer must be 200 and no connection may fail (bench.wrk raises otherwise). The
    server's CPU clock is read once it is idle after the warm-up and again when wrk exits.
    """
    marks: dict[str, float] = {}

    def mark_start() -> None:
        wait_idle(server)
        marks["cpu"] = server.cpu_seconds()

    load = run_wrk(
        server.url,
        WrkRequests.get(path),
        connections=clients,
        seconds=config.verification_seconds,
        headers=headers,
        expect=frozenset({200}),
        on_start=mark_start,
    )
    cpu = server.cpu_seconds() - marks["cpu"]
    return Measured(name, load, cpu)


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
    targets: bool,
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
            target="≥ 1/3 of bare" if targets else "",
            holds=rps_share >= TARGET_SHARE if targets else None,
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
            target="≥ 1/3 of bare capacity" if targets else "",
            holds=capacity_share >= TARGET_SHARE if targets else None,
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
            target=f"p99 < {TARGET_P99_MS:g} ms" if targets else "",
            holds=p99 < TARGET_P99_MS if targets else None,
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


def run_on(kind: str, config: BenchConfig, rpc_url: str, result: SectionResult) -> None:
    work = config.work_dir / f"verification-{kind}"
    clients = config.verification_clients
    url = database(kind, work / "db")
    env = server_env(
        data_dir=work / "data",
        database_url=url,
        rpc_url=rpc_url,
        overrides={"SENTRACE_BATCH_MAX_DELAY_S": "1"},
    )
    log = config.out_dir / "logs" / f"verification-{kind}.log"
    with running_server(env, log) as server:
        code = seed_verified_lot(server, config.lot_events)
        n = config.lot_events
        targets = [
            (
                f"GET /api/v1/lots/{{code}}/verification ({n} events)",
                f"/api/v1/lots/{code}/verification",
                None,
            ),
            (f"consumer page /l/{{code}} ({n} events, phone)", f"/l/{code}", PAGE_HEADERS),
        ]
        bare = measure(server, "bare FastAPI sync def", "/bench/bare", config, clients=clients)
        bare_async = measure(
            server, "bare FastAPI async def", "/bench/bare-async", config, clients=clients
        )
        loaded = [
            measure(server, name, path, config, clients=clients, headers=headers)
            for name, path, headers in targets
        ]
        alone = [
            measure(server, name, path, config, clients=1, headers=headers)
            for name, path, headers in targets
        ]
        split = cpu_split(url, attached_client(server, rpc_url), code, repeat=split_repeat(config))
    label = LABELS[kind]
    result.notes.append(
        f"{label}: in-process CPU per verification of the same lot, by part: "
        f"{split.describe()}; total {split.total:.2f} ms (bench/verify_split.py)."
    )
    _bare_rows(result, label, clients, [bare, bare_async])
    for index, (m, single) in enumerate(zip(loaded, alone, strict=True)):
        _endpoint_rows(result, label, m, bare, single, targets=index == 0)
    counts = ", ".join(
        f"{m.name.split(' (')[0]} {m.load.requests:,}" for m in [bare, bare_async, *loaded]
    )
    result.notes.append(
        f"{label}: {clients} clients, {config.verification_seconds:g} s per endpoint; "
        f"requests measured: {counts}."
    )
    client_cpu = ", ".join(
        f"{m.name.split(' (')[0]} {m.load.client_cpu_us_per_request:.0f} µs "
        f"(server {1000 * m.cpu_ms_per_request:.0f} µs)"
        for m in [bare, bare_async, *loaded]
    )
    result.notes.append(f"{label}: wrk CPU per request, {clients} clients: {client_cpu}.")


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
        "Load generator: wrk (Debian package, bench/wrk.py) in its own process, one thread "
        "and one keep-alive connection per client, a 1 s warm-up before every measurement; "
        "server: uvicorn (one process, access log off). Both share the machine's 2 cores "
        "with everything else, so the ratios and the server CPU per request are the figures "
        "to compare, not the absolute rates. wrk's own CPU per request (above) is a fraction "
        "of the server's even for the bare endpoints, but it still competes for the same "
        "cores; the capacity share (bare CPU ÷ endpoint CPU) is the stricter figure.",
        "Latency is each request's own, from writing it to its last byte, recorded in wrk's "
        "Lua hooks; wrk's built-in percentiles are not used because they add synthetic "
        "samples for coordinated omission, which a closed loop of clients does not have. "
        "The server's CPU clock is read once it has finished the warm-up's last requests and "
        "again when wrk exits; every answer must be 200 and no connection may fail.",
        "A closed loop of N clients keeps N requests queued at a one-process server, so latency "
        "under load ≈ N ÷ throughput (Little's law); the 1-client rows show the latency of one "
        "request with no queue.",
    ]
    return result
