"""Ingest: events accepted per second, through the services and through the HTTP API.

"Accepted" means committed: the event row and its hash are in the database and will be
anchored. Every run has the anchoring worker running (building, sending and confirming
batches against a real anvil node) as it would in production.

* Service layer, in process, one thread: ``events.add_lot_event`` (validation, permission,
  lot lock, canonical document, hash, insert) and a commit per event, against a baseline of
  a bare ORM insert of an ``Event`` row with a commit per row, on the same database with the
  same worker. The baseline rows carry a placeholder hash (they are never verified).
* HTTP, uvicorn in a subprocess, N concurrent clients each posting to its own lot:
  ``POST /api/v1/lots/{code}/events`` against ``POST /bench/echo`` (a bare endpoint reading
  the same JSON body) on the same server.
* HTTP batches, same server, same clients: ``POST /api/v1/events/batch`` with
  :data:`BATCH_EVENTS` events per request, spread over two lots of the client's own (a field
  worker's offline log uploaded at once), beside the same echo baseline. Its figures are per
  *event*, so they compare with the single-event row and with the per-event target directly.
* Acceptance → verified latency (bench.latency), on SQLite, at the default settings and at a
  shorter batch delay.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlmodel import Session, col, func, select

from backend.config import Settings
from backend.models import BatchStatus, ChainAction, Event, EventType, Organisation
from backend.runtime import Runtime
from backend.services import batching, events, queries
from backend.services.transactions import commit
from bench.chain import local_anvil
from bench.config import BenchConfig, LatencyRun
from bench.databases import LABELS, database
from bench.latency import measure_latency, settle
from bench.load import RequestFor, run_load
from bench.results import Row, SectionResult, number
from bench.seed import (
    LOCATION,
    event_body,
    http_anchor_now,
    http_cooperative,
    http_lot,
    service_cooperative,
)
from bench.server import ServerProcess, running_server, server_env
from bench.stats import rate

TARGET_SERVICE = 1_000.0
TARGET_HTTP = 400.0
PLACEHOLDER_HASH = "0x" + "ab" * 32
SERVICE_LOTS = 16
#: Events per ``POST /api/v1/events/batch`` request (the API takes up to 500).
BATCH_EVENTS = 100
#: Lots each batch client spreads its events over (every batch names several lots).
BATCH_LOTS_PER_CLIENT = 2
BATCH_PATH = "/api/v1/events/batch"


@dataclass(frozen=True)
class Throughput:
    count: int
    seconds: float
    cpu_seconds: float | None = None

    @property
    def per_second(self) -> float:
        return rate(self.count, self.seconds)

    @property
    def cpu_ms_each(self) -> float | None:
        if self.cpu_seconds is None or not self.count:
            return None
        return 1000.0 * self.cpu_seconds / self.count


# ------------------------------------------------------------------------- service layer


def _prepared(n: int) -> list[dict[str, Any]]:
    bodies = [event_body(i) for i in range(n)]
    for body in bodies:
        body["occurred_at"] = datetime.fromisoformat(body["occurred_at"])
    return bodies


def service_ingest(runtime: Runtime, org: Organisation, codes: list[str], n: int) -> Throughput:
    """``add_lot_event`` + commit, ``n`` times, lots in turn."""
    bodies = _prepared(n)
    cpu, started = time.process_time(), time.perf_counter()
    for i, body in enumerate(bodies):
        with Session(runtime.engine, expire_on_commit=False) as session:
            events.add_lot_event(
                session,
                lot_code=codes[i % len(codes)],
                org=org,
                event_type=body["type"],
                occurred_at=body["occurred_at"],
                location=body["location"],
                data=body["data"],
                settings=runtime.settings,
            )
            commit(session)
    return Throughput(n, time.perf_counter() - started, time.process_time() - cpu)


def bare_inserts(runtime: Runtime, org: Organisation, code: str, n: int) -> Throughput:
    """The baseline: an Event row built by hand and committed, ``n`` times."""
    with Session(runtime.engine) as session:
        lot = queries.get_lot_by_code(session, code)
        assert lot is not None and lot.id is not None and org.id is not None
        lot_id, org_id = lot.id, org.id
    bodies = _prepared(n)
    cpu, started = time.process_time(), time.perf_counter()
    for body in bodies:
        with Session(runtime.engine) as session:
            session.add(
                Event(
                    lot_id=lot_id,
                    type=EventType(body["type"]),
                    occurred_at=body["occurred_at"],
                    org_id=org_id,
                    location=LOCATION,
                    data=body["data"],
                    event_hash=PLACEHOLDER_HASH,
                )
            )
            session.commit()
    return Throughput(n, time.perf_counter() - started, time.process_time() - cpu)


def settle_worker(runtime: Runtime, timeout: float = 120.0) -> None:
    """Anchor everything pending and finish the outbox, so a measurement starts clean.

    Seeding creates harvest lots, whose milestones go on chain one transaction each; left to
    the worker they would be sent during the measurement and be counted against it.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runtime.anchoring.run_once(force=True, wait=True)
        with Session(runtime.engine) as session:
            open_actions = session.exec(
                select(func.count())
                .select_from(ChainAction)
                .where(col(ChainAction.status).in_([BatchStatus.PENDING, BatchStatus.SENT]))
            ).one()
        if open_actions == 0 and batching.pending_event_count(runtime.engine) == 0:
            return
        time.sleep(0.2)
    raise RuntimeError(f"the outbox did not settle within {timeout:g} s")


def run_service(kind: str, url: str, rpc_url: str, config: BenchConfig) -> tuple[Throughput, ...]:
    settings = Settings(
        data_dir=config.work_dir / f"ingest-service-{kind}",
        database_url=url,
        chain_rpc_url=rpc_url,
    )
    runtime = Runtime.start(settings)
    try:
        codes = [f"XOAI-SVC-{i:02d}" for i in range(SERVICE_LOTS)]
        org = service_cooperative(runtime.engine, settings, [*codes, "XOAI-BARE"])
        settle_worker(runtime)
        n = config.ingest_service_events
        bare = bare_inserts(runtime, org, "XOAI-BARE", n)
        real = service_ingest(runtime, org, codes, n)
    finally:
        runtime.close()
    return bare, real


# ---------------------------------------------------------------------------------- HTTP


def single_posts(paths: list[str]) -> RequestFor:
    """Client i posts one event at a time to ``paths[i]``."""
    return lambda client, number: ("POST", paths[client], event_body(number))


def batch_posts(lots_of_client: list[list[str]]) -> RequestFor:
    """Client i posts :data:`BATCH_EVENTS` events at a time, in turn on its lots."""

    def request(client: int, number: int) -> tuple[str, str, Any]:
        codes, first = lots_of_client[client], number * BATCH_EVENTS
        items = [
            {"lot": codes[j % len(codes)], **event_body(first + j)} for j in range(BATCH_EVENTS)
        ]
        return "POST", BATCH_PATH, {"events": items}

    return request


def http_ingest(
    server: ServerProcess,
    headers: dict[str, str],
    request_for: RequestFor,
    *,
    requests: int,
    clients: int,
    events_per_request: int = 1,
) -> Throughput:
    """``requests`` POSTs from ``clients`` concurrent clients; counts the events accepted."""
    marks: dict[str, float] = {}

    def mark() -> None:
        marks["cpu"] = server.cpu_seconds()

    load = run_load(
        server.url,
        request_for,
        clients=clients,
        seconds=600.0,
        max_requests=requests,
        warmup_requests=clients,
        headers=headers,
        on_start=mark,
    )
    accepted = load.ok(frozenset({201}))
    if accepted != load.requests or load.transport_errors:
        raise RuntimeError(
            f"{request_for(0, 0)[1]}…: {load.requests - accepted} refused "
            f"{dict(load.statuses)}, {load.transport_errors} transport errors"
        )
    events_accepted = accepted * events_per_request
    return Throughput(events_accepted, load.seconds, server.cpu_seconds() - marks["cpu"])


def batch_requests(config: BenchConfig) -> int:
    """Batch requests per run: ten times the single-event run's events, at least two per client
    (a batch carries a hundred events, so fewer would measure little more than the warm-up)."""
    return max(2 * config.ingest_http_clients, 10 * config.ingest_http_events // BATCH_EVENTS)


@dataclass(frozen=True)
class HttpRun:
    """One server's HTTP figures: the echo baseline, single events, batches of events."""

    bare: Throughput
    single: Throughput
    batch: Throughput


def run_http(
    kind: str, url: str, rpc_url: str, config: BenchConfig, result: SectionResult
) -> HttpRun:
    work = config.work_dir / f"ingest-http-{kind}"
    env = server_env(data_dir=work, database_url=url, rpc_url=rpc_url)
    clients = config.ingest_http_clients
    with running_server(env, config.out_dir / "logs" / f"ingest-http-{kind}.log") as server:
        with httpx.Client(base_url=server.url, timeout=60.0) as client:
            coop = http_cooperative(client)
            codes = [http_lot(client, coop, f"XOAI-HTTP-{i:02d}") for i in range(clients)]
            batch_lots = [
                [
                    http_lot(client, coop, f"XOAI-BATCH-{i:02d}-{j}")
                    for j in range(BATCH_LOTS_PER_CLIENT)
                ]
                for i in range(clients)
            ]
            http_anchor_now(client)  # harvest milestones on chain before the clock starts
            http_anchor_now(client)
        n = config.ingest_http_events
        echo = single_posts(["/bench/echo"] * clients)
        bare = http_ingest(server, coop.headers, echo, requests=n, clients=clients)
        paths = [f"/api/v1/lots/{code}/events" for code in codes]
        single = http_ingest(server, coop.headers, single_posts(paths), requests=n, clients=clients)
        batch = http_ingest(
            server,
            coop.headers,
            batch_posts(batch_lots),
            requests=batch_requests(config),
            clients=clients,
            events_per_request=BATCH_EVENTS,
        )
        if kind == "sqlite":
            for run in config.latency_runs:
                _latency(config, rpc_url, run, result)
    return HttpRun(bare, single, batch)


def _latency(config: BenchConfig, rpc_url: str, run: LatencyRun, result: SectionResult) -> None:
    """One latency run on its own SQLite server with the run's batch settings."""
    slug = "".join(ch if ch.isalnum() else "-" for ch in run.label)[:40]
    work = config.work_dir / f"latency-{slug}"
    overrides = {}
    if run.batch_max_delay_s is not None:
        overrides["SENTRACE_BATCH_MAX_DELAY_S"] = f"{run.batch_max_delay_s:g}"
    if run.worker_poll_s is not None:
        overrides["SENTRACE_WORKER_POLL_S"] = f"{run.worker_poll_s:g}"
    env = server_env(
        data_dir=work,
        database_url=f"sqlite:///{(work / 'sentrace.db').as_posix()}",
        rpc_url=rpc_url,
        overrides=overrides,
    )
    with running_server(env, config.out_dir / "logs" / f"latency-{slug}.log") as server:
        with httpx.Client(base_url=server.url, timeout=60.0) as client:
            coop = http_cooperative(client)
            codes = [http_lot(client, coop, f"XOAI-LAT-{i:02d}") for i in range(4)]
            # Anchor the harvest events now, so only the trickle is timed.
            http_anchor_now(client)
            settle(client, codes, 60.0)
        measured = measure_latency(server, coop, codes, run)
    delay = run.batch_max_delay_s if run.batch_max_delay_s is not None else 30.0
    poll = run.worker_poll_s if run.worker_poll_s is not None else 1.0
    result.add(
        Row(
            f"[SQLite] acceptance → verified, {run.label}, {run.rate_per_s:g} events/s "
            f"for {run.seconds:g} s: p50 (p99 {number(measured.p(99))} s)",
            measured.p(50),
            "s",
            baseline=f"batch delay + poll = {delay + poll:g} s",
            ratio=measured.p(99) / (delay + poll),
            ratio_label="(p99 ÷ (delay + poll))",
        )
    )


# ------------------------------------------------------------------------------ the section


def run(config: BenchConfig) -> SectionResult:
    result = SectionResult("ingest", "Ingest")
    with local_anvil(config.work_dir / "ingest-anvil") as node:
        for kind in config.databases:
            url = database(kind, config.work_dir / f"ingest-{kind}-service")
            bare, real = run_service(kind, url, node.url, config)
            _service_rows(result, kind, bare, real)
            url = database(kind, config.work_dir / f"ingest-{kind}-http")
            http = run_http(kind, url, node.url, config, result)
            _http_rows(result, kind, config, http.bare, http.single)
            _batch_rows(result, kind, config, http.bare, http.batch)
    result.notes += [
        f"Service layer: {config.ingest_service_events:,} events, one thread, one commit per "
        f"event, {SERVICE_LOTS} lots in turn. HTTP: {config.ingest_http_events:,} events from "
        f"{config.ingest_http_clients} concurrent clients, one lot each, default settings "
        "(batches of 1,000, 30 s delay), anchoring worker running in every case.",
        f"HTTP batches: {batch_requests(config):,} requests of {BATCH_EVENTS} events "
        f"({batch_requests(config) * BATCH_EVENTS:,} events) from the same "
        f"{config.ingest_http_clients} clients, each spreading its events over "
        f"{BATCH_LOTS_PER_CLIENT} lots of its own; the baseline is the same bare echo of one "
        "small body per request, so the ratio is the cost of an event in a batch against "
        "the cost of a whole minimal request.",
        "Acceptance → verified: batch confirmed_at − event recorded_at (server clock), read "
        "through the public API; every lot then reads `verified`. With a steady trickle an "
        "event waits for its batch's oldest event to reach the batch delay, then for the "
        "worker's next poll, the anchor transaction and one confirmation.",
        "PostgreSQL runs with fsync and synchronous_commit off (the test-suite cluster), "
        "so its commit cost is flattered compared with a durable production setup; SQLite "
        "runs in WAL mode with synchronous=NORMAL, as the app configures it.",
    ]
    return result


def _service_rows(result: SectionResult, kind: str, bare: Throughput, real: Throughput) -> None:
    is_sqlite = kind == "sqlite"
    result.add(
        Row(
            f"[{LABELS[kind]}] service layer: add_lot_event + commit",
            real.per_second,
            "events/s",
            baseline=f"bare ORM insert + commit {number(bare.per_second)} rows/s",
            ratio=real.per_second / bare.per_second,
            ratio_label="of bare",
            target=f"≥ {TARGET_SERVICE:,.0f}/s" if is_sqlite else "",
            holds=real.per_second >= TARGET_SERVICE if is_sqlite else None,
        )
    )
    result.add(
        Row(
            f"[{LABELS[kind]}] service layer: CPU per accepted event (whole process)",
            real.cpu_ms_each,
            "ms",
            baseline=f"bare ORM insert {number(bare.cpu_ms_each)} ms",
            ratio=(real.cpu_ms_each or 0) / (bare.cpu_ms_each or 1),
            ratio_label="of bare",
            note="1000 / this = events per CPU-second, the rate with a whole core to itself",
        )
    )


def _http_rows(
    result: SectionResult, kind: str, config: BenchConfig, bare: Throughput, real: Throughput
) -> None:
    is_sqlite = kind == "sqlite"
    clients = config.ingest_http_clients
    result.add(
        Row(
            f"[{LABELS[kind]}] HTTP POST /api/v1/lots/{{code}}/events, {clients} clients",
            real.per_second,
            "events/s",
            baseline=f"bare POST /bench/echo {number(bare.per_second)} req/s",
            ratio=real.per_second / bare.per_second,
            ratio_label="of bare",
            target=f"≥ {TARGET_HTTP:,.0f}/s" if is_sqlite else "",
            holds=real.per_second >= TARGET_HTTP if is_sqlite else None,
        )
    )
    result.add(
        Row(
            f"[{LABELS[kind]}] HTTP POST …/events: server CPU per accepted event",
            real.cpu_ms_each,
            "ms",
            baseline=f"bare echo {number(bare.cpu_ms_each)} ms",
            ratio=(real.cpu_ms_each or 0) / (bare.cpu_ms_each or 1),
            ratio_label="of bare",
        )
    )


def _batch_rows(
    result: SectionResult, kind: str, config: BenchConfig, bare: Throughput, batch: Throughput
) -> None:
    is_sqlite = kind == "sqlite"
    clients = config.ingest_http_clients
    result.add(
        Row(
            f"[{LABELS[kind]}] HTTP POST {BATCH_PATH} ({BATCH_EVENTS} events per request), "
            f"{clients} clients",
            batch.per_second,
            "events/s",
            baseline=f"bare POST /bench/echo {number(bare.per_second)} req/s",
            ratio=batch.per_second / bare.per_second,
            ratio_label="of bare",
            target=f"≥ {TARGET_HTTP:,.0f}/s" if is_sqlite else "",
            holds=batch.per_second >= TARGET_HTTP if is_sqlite else None,
        )
    )
    result.add(
        Row(
            f"[{LABELS[kind]}] HTTP POST {BATCH_PATH}: server CPU per accepted event",
            batch.cpu_ms_each,
            "ms",
            baseline=f"bare echo {number(bare.cpu_ms_each)} ms per request",
            ratio=(batch.cpu_ms_each or 0) / (bare.cpu_ms_each or 1),
            ratio_label="of bare",
        )
    )
