"""Ingest: events accepted per second, through the services and through the HTTP API.

"Accepted" means committed: the event row and its hash are in the database and will be
anchored. Every run has the anchoring worker running (building, sending and confirming
batches against a real anvil node) as it would in production.

* Service layer, in process, one thread: ``events.add_lot_event`` (validation, permission,
  lot lock, canonical document, hash, insert) and a commit per event, against a baseline of
  a bare ORM insert of an ``Event`` row with a commit per row, on the same database with the
  same worker. The baseline rows carry a placeholder hash (they are never verified).
* HTTP (bench.ingest_http), uvicorn in a subprocess, N concurrent wrk connections
  (bench.wrk: a C load generator in its own process) each posting to its own lot:
  ``POST /api/v1/lots/{code}/events`` against ``POST /bench/echo`` (a bare endpoint reading
  the same JSON body) on the same server, for the same bounded time each. Every body differs
  (wrk numbers the requests and the number goes into ``data.note``), every answer must be
  201, and after each run the events the database gained are counted and compared with
  wrk's count of 201 answers.
* HTTP batches, same server, same connections: ``POST /api/v1/events/batch`` with
  :data:`BATCH_EVENTS` events per request, spread over two lots of the client's own (a field
  worker's offline log uploaded at once). Its figures are per *event*, and its baseline is
  the single-event endpoint on the same server (events/s against events/s): the ratio is what
  batching gains (bench.ingest_rows builds the rows).
* Both HTTP measurements run once per entry of ``config.server_workers``, each on a server
  of that many processes (a fresh database, its lots made again), so the echo baseline is
  always the same server's; the server's CPU is that of its whole process tree.
* Acceptance → verified latency (bench.latency), on SQLite, at the default settings and at a
  shorter batch delay, on a one-process server.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import httpx
from sqlmodel import Session, col, func, select

from backend.config import Settings
from backend.models import BatchStatus, ChainAction, Event, EventType, Organisation
from backend.runtime import Runtime
from backend.services.anchoring import batching
from backend.services.ledger import events, queries
from backend.services.transactions import commit
from bench.chain import local_anvil
from bench.config import BenchConfig, LatencyRun, describe_servers, processes
from bench.databases import LABELS, database
from bench.ingest_http import (
    BATCH_EVENTS,
    BATCH_LOTS_PER_CLIENT,
    HttpMeasured,
    HttpRun,
    run_http,
)
from bench.ingest_rows import (
    Throughput,
    batch_rows,
    http_rows,
    lane_rows,
    scaling_rows,
    service_rows,
)
from bench.latency import measure_latency, settle
from bench.results import Row, SectionResult, number
from bench.seed import (
    LOCATION,
    event_body,
    http_anchor_now,
    http_cooperative,
    http_lot,
    server_signs_for,
    service_cooperative,
)
from bench.server import running_server, server_env
from bench.wrk import wrk_binary

PLACEHOLDER_HASH = "0x" + "ab" * 32
SERVICE_LOTS = 16


# ------------------------------------------------------------------------- service layer


def _prepared(n: int) -> list[dict[str, Any]]:
    bodies = [event_body(i) for i in range(n)]
    for body in bodies:
        body["occurred_at"] = datetime.fromisoformat(body["occurred_at"])
    return bodies


def service_ingest(
    runtime: Runtime,
    org: Organisation,
    codes: list[str],
    n: int,
    *,
    settings: Settings | None = None,
) -> Throughput:
    """``add_lot_event`` + commit, ``n`` times, lots in turn (``settings``: the runtime's,
    unless given, e.g. to record under other event rules)."""
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
                settings=settings or runtime.settings,
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
    server_signs_for(runtime)
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
            f"[SQLite, 1 process] acceptance → verified, {run.label}, {run.rate_per_s:g} events/s "
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
    wrk_binary()  # a missing load generator skips the section before anything starts
    with local_anvil(config.work_dir / "ingest-anvil") as node:
        for kind in config.databases:
            url = database(kind, config.work_dir / f"ingest-{kind}-service")
            bare, real = run_service(kind, url, node.url, config)
            service_rows(result, kind, bare, real)
            if kind == "sqlite":
                for latency_run in config.latency_runs:
                    _latency(config, node.url, latency_run, result)
            singles: dict[int, Throughput] = {}
            for workers in config.server_workers:
                url = database(kind, config.work_dir / f"ingest-{kind}-http-{workers}p")
                http = run_http(kind, url, node.url, config, workers=workers)
                label = f"{LABELS[kind]}, {processes(workers)}"
                targets = kind == "sqlite" and workers == 1  # the targets name one process
                single = singles[workers] = _throughput(http.single)
                http_rows(result, label, config, _throughput(http.bare), single, targets=targets)
                batch_rows(result, label, config, single, _throughput(http.batch), targets=targets)
                result.notes.append(_http_note(label, http))
                if kind == "sqlite" and workers == 1:
                    url = database(kind, config.work_dir / "ingest-sqlite-http-1p-no-lane")
                    sleeping = run_http(kind, url, node.url, config, workers=1, lane=False)
                    lane_rows(result, label, http, sleeping)
                    result.notes.append(_http_note(f"{label}, writer lane off", sleeping))
            scaling_rows(result, LABELS[kind], singles)
    clients, seconds = config.ingest_http_clients, config.ingest_http_seconds
    result.notes += [
        f"Service layer: {config.ingest_service_events:,} events, one thread, one commit per "
        f"event, {SERVICE_LOTS} lots in turn. HTTP: {clients} concurrent clients, "
        f"{seconds:g} s per measurement, single events to one lot per client; default settings "
        "(batches of 1,000, 30 s delay), anchoring worker running in every case.",
        f"HTTP batches: requests of {BATCH_EVENTS} events from the same {clients} clients, each "
        f"spreading its events over {BATCH_LOTS_PER_CLIENT} lots of its own; the baseline is "
        "the single-event endpoint on the same server, events/s against events/s and CPU per "
        "event against CPU per event, so the ratio is what batching gains per event.",
        describe_servers(config.server_workers),
        "Load generator: wrk (Debian package, bench/wrk.py) in its own process, one thread and "
        "one keep-alive connection per client, a 1 s warm-up before every measurement; wrk and "
        "the server share the machine's 2 cores. "
        "Every event body differs (wrk's request number goes into data.note) and every answer "
        "must be 201: any other status or a socket error fails the run, nothing refused is "
        "counted. Events/s = wrk's 201 answers × events per request ÷ wrk's run time.",
        "Server CPU per accepted event: the server's CPU clock (every process of it) is read "
        "once it has answered the warm-up's last requests and again once it has answered the "
        "measured run's last ones; "
        "the events the database gained in between (counted directly in the database, not "
        "through the server) must be at least wrk's count and at most one request per "
        "connection more at each end (sent before wrk stopped, answered after), and that CPU "
        "is divided by them. The echo stores nothing: its window closes when wrk exits and is "
        "divided by wrk's count.",
        "Acceptance → verified: batch confirmed_at − event recorded_at (server clock), read "
        "through the public API; every lot then reads `verified`. With a steady trickle an "
        "event waits for its batch's oldest event to reach the batch delay, then for the "
        "worker's next poll, the anchor transaction and one confirmation. These events are "
        "posted to a one-process server by one paced httpx client (bench/latency.py): at "
        "10 events/s neither its CPU cost nor the server's process count matters.",
        "PostgreSQL runs with its durable defaults (fsync, synchronous_commit and "
        "full_page_writes on; the settings read back from the server are on the report's "
        "Machine line); SQLite runs in WAL mode with synchronous=NORMAL, as the app "
        "configures it.",
    ]
    return result


def _throughput(measured: HttpMeasured) -> Throughput:
    """Events accepted per second, and the server CPU per event it was spent on."""
    return Throughput(
        measured.accepted,
        measured.load.seconds,
        measured.cpu_seconds,
        cpu_count=measured.cpu_events,
    )


def _http_note(label: str, http: HttpRun) -> str:
    """Per endpoint: latency, wrk's count against the database's, wrk's own CPU, and with
    several processes the busiest worker's share of the workers' CPU."""
    parts = []
    for name, m in (("echo", http.bare), ("single", http.single), ("batch", http.batch)):
        stored = "" if m.stored is None else f", {m.stored:,} events stored in the window"
        busiest = (
            ""
            if m.busiest is None
            else f", busiest worker's share of the {http.workers} workers' CPU "
            f"{number(100 * m.busiest)} %"
        )
        parts.append(
            f"{name}: {m.load.requests:,} requests answered 201 ({m.accepted:,} events){stored}, "
            f"p50 {number(m.load.p(50))} ms, p99 {number(m.load.p(99))} ms, "
            f"wrk CPU {m.load.client_cpu_us_per_request:.0f} µs per request{busiest}"
        )
    return f"{label} HTTP: " + "; ".join(parts) + "."
