"""What rules v2 cost a verification: a 20-event lot of each rules version, side by side.

Rules v2 checks each event on its stored canonical bytes, the lot's chain of documents, and the
lot's head proven against the heads root the chain holds at the time of the request; rules v1
rebuilds each document from its columns. Both lots live in ONE SQLite database, anchored in
the same batch to the same registry on the same anvil, so the only difference between their
verifications is the rules their events were recorded under; the v1 lot is the baseline.

* In process: the whole work of one verification request (``verification_json``: session,
  lineage, a fresh chain view with its canary check and, for v2, the ``headsRoot()`` call,
  every verdict, the JSON bytes) timed with the process CPU clock, the two lots alternating
  over several rounds (the median round is reported). The parts of each (bench/verify_split)
  and the v2-only work (the ``headsRoot()`` call, the head proof read from the heads map)
  go into the notes.
* Over HTTP: one server (uvicorn, the anchoring worker running, rules v2 for new events, the
  first of ``config.server_workers`` as its process count) on the same database and registry,
  ``GET /api/v1/lots/{code}/verification`` for each lot under the configured number of wrk
  connections, beside the bare sync endpoint of the same server.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from sqlmodel import Session

from backend.api.verification import verification_json
from backend.config import Settings
from backend.runtime import Runtime
from backend.services.verification.engine import verify_lot
from backend.services.verification.lineage import load_lineage
from bench.chain import local_anvil
from bench.config import BenchConfig, processes
from bench.databases import database
from bench.ingest import service_ingest, settle_worker
from bench.results import Row, SectionResult, number
from bench.seed import server_signs_for, service_cooperative, service_lot
from bench.server import running_server, server_env
from bench.verification import Measured, measure
from bench.verify_split import CpuSplit, cpu_ms, cpu_split
from bench.wrk import wrk_binary

TITLE = "Verification, rules v1 vs v2"
SCHEMAS = (1, 2)


class RulesNotMet(RuntimeError):
    """A seeded lot is not what the comparison needs (not verified, wrong count or rules)."""


def lot_code(schema: int) -> str:
    return f"XOAI-RULES-V{schema}"


@dataclass(frozen=True)
class InProcess:
    """Milliseconds of CPU per verification request, per rules version, and their parts."""

    per_request: dict[int, float]
    splits: dict[int, CpuSplit]
    heads_root_ms: float
    head_proof_ms: float


def seed(runtime: Runtime, events: int) -> None:
    """One lot per rules version (harvest + ``events - 1`` events), then everything anchored."""
    rules = {s: runtime.settings.model_copy(update={"event_schema": s}) for s in SCHEMAS}
    org = service_cooperative(runtime.engine, rules[1], [lot_code(1)], slug="htx-rules")
    for schema, settings in rules.items():
        if schema != 1:
            service_lot(runtime.engine, settings, org, lot_code(schema))
        service_ingest(runtime, org, [lot_code(schema)], events - 1, settings=settings)
    settle_worker(runtime)


def check_seeded(runtime: Runtime, events: int) -> None:
    """Each lot reads ``verified`` with ``events`` events, all recorded under its rules."""
    with Session(runtime.engine) as session:
        for schema in SCHEMAS:
            code = lot_code(schema)
            result = verify_lot(session, code=code, view=runtime.chain_view())
            if result is None or str(result.verdict) != "verified":
                raise RulesNotMet(f"lot {code} reads {result and result.verdict}")
            versions = {check.event.schema_version for check in result.lot.events}
            if len(result.lot.events) != events or versions != {schema}:
                raise RulesNotMet(f"lot {code}: {len(result.lot.events)} events, rules {versions}")


def per_request(runtime: Runtime, config: BenchConfig) -> dict[int, float]:
    """Median over rounds of the CPU per request of each lot, the lots alternating."""
    rounds: dict[int, list[float]] = {schema: [] for schema in SCHEMAS}
    for _ in range(config.rules_rounds):
        for schema in SCHEMAS:
            request = partial(verification_json, runtime, lot_code(schema))
            rounds[schema].append(cpu_ms(request, config.rules_repeat))
    return {schema: statistics.median(samples) for schema, samples in rounds.items()}


def v2_only(runtime: Runtime, repeat: int) -> tuple[float, float]:
    """CPU of the work only rules v2 does per request: the ``headsRoot()`` call, and the
    head proof read from the heads map as of the batch that recorded that root."""
    chain = runtime.require_chain()
    root = chain.heads_root()
    with Session(runtime.engine) as session:
        lineage = load_lineage(session, lot_code(2))
        assert lineage is not None and lineage.prove_head is not None
        prove, key = lineage.prove_head, lineage.record.lot_key_bytes
        if prove(key, root) is None:
            raise RulesNotMet("no head proof for the v2 lot against the chain's heads root")
        return cpu_ms(chain.heads_root, repeat), cpu_ms(lambda: prove(key, root), repeat)


def measure_in_process(runtime: Runtime, url: str, config: BenchConfig) -> InProcess:
    chain = runtime.require_chain()
    totals = per_request(runtime, config)
    splits = {
        schema: cpu_split(url, chain, lot_code(schema), repeat=config.rules_repeat)
        for schema in SCHEMAS
    }
    heads_root_ms, head_proof_ms = v2_only(runtime, config.rules_repeat)
    return InProcess(totals, splits, heads_root_ms, head_proof_ms)


def measure_http(
    config: BenchConfig, work: Path, url: str, rpc_url: str
) -> tuple[int, Measured, dict[int, Measured]]:
    """The bare sync endpoint and each lot's verification on one server of the database."""
    workers = config.server_workers[0]
    env = server_env(
        data_dir=work / "data",
        database_url=url,
        rpc_url=rpc_url,
        overrides={"SENTRACE_EVENT_SCHEMA": "2", "SENTRACE_BATCH_MAX_DELAY_S": "1"},
    )
    log = config.out_dir / "logs" / "verification-rules.log"
    clients = config.verification_clients
    with running_server(env, log, workers=workers) as server:
        bare = measure(server, "bare FastAPI sync def", "/bench/bare", config, clients=clients)
        lots = {
            schema: measure(
                server,
                f"rules v{schema}",
                f"/api/v1/lots/{lot_code(schema)}/verification",
                config,
                clients=clients,
            )
            for schema in SCHEMAS
        }
    return workers, bare, lots


def in_process_rows(result: SectionResult, measured: InProcess, events: int) -> None:
    v1, v2 = measured.per_request[1], measured.per_request[2]
    name = f"[SQLite + anvil, in process] CPU per verification of a {events}-event lot"
    result.add(Row(f"{name}, rules v1 (the baseline of the next row)", v1, "ms"))
    result.add(
        Row(
            f"{name}, rules v2",
            v2,
            "ms",
            baseline=f"rules v1 {number(v1)} ms",
            ratio=v2 / v1,
            ratio_label="of rules v1",
        )
    )
    for schema, split in measured.splits.items():
        result.notes.append(
            f"Rules v{schema}, in process, by part (bench/verify_split.py, the chain view "
            f"memoised while judging): {split.describe()}; total {split.total:.2f} ms."
        )
    result.notes.append(
        f"Rules v2 only, per request: the `headsRoot()` call to the node (through web3) "
        f"{measured.heads_root_ms:.2f} ms of CPU, the head proof from the heads map "
        f"{measured.head_proof_ms:.2f} ms (the root's batch and the map's nodes come from "
        "process-wide caches after the first request for a root)."
    )


def http_rows(
    result: SectionResult, workers: int, bare: Measured, lots: dict[int, Measured], events: int
) -> None:
    label = f"[SQLite, {processes(workers)}]"
    path = f"GET /api/v1/lots/{{code}}/verification ({events} events)"
    v1, v2 = lots[1], lots[2]
    result.add(
        Row(
            f"{label} {path}, rules v1: server CPU per request",
            v1.cpu_ms_per_request,
            "ms",
            baseline=f"bare sync {number(bare.cpu_ms_per_request)} ms",
            ratio=v1.cpu_ms_per_request / bare.cpu_ms_per_request,
            ratio_label="of bare",
        )
    )
    result.add(
        Row(
            f"{label} {path}, rules v2: server CPU per request",
            v2.cpu_ms_per_request,
            "ms",
            baseline=f"rules v1 {number(v1.cpu_ms_per_request)} ms",
            ratio=v2.cpu_ms_per_request / v1.cpu_ms_per_request,
            ratio_label="of rules v1",
        )
    )
    latencies = ", ".join(
        f"{m.name} {m.load.requests:,} requests, p50 {number(m.load.p(50))} ms, "
        f"p99 {number(m.load.p(99))} ms"
        for m in (bare, v1, v2)
    )
    result.notes.append(f"{label}, {bare.load.connections} clients: {latencies}.")
    result.add(
        Row(
            f"{label} {path}, rules v2: throughput, {bare.load.connections} clients",
            v2.load.rps,
            "req/s",
            baseline=f"rules v1 {number(v1.load.rps)} req/s (bare sync {number(bare.load.rps)})",
            ratio=v2.load.rps / v1.load.rps,
            ratio_label="of rules v1",
        )
    )


def run(config: BenchConfig) -> SectionResult:
    result = SectionResult("verification_rules", TITLE)
    wrk_binary()  # a missing load generator skips the section before anything starts
    work = config.work_dir / "verification-rules"
    url = database("sqlite", work / "db")
    events = config.lot_events
    with local_anvil(work / "anvil") as node:
        settings = Settings(
            data_dir=work / "data", database_url=url, chain_rpc_url=node.url, worker_enabled=False
        )
        runtime = Runtime.start(settings)
        server_signs_for(runtime)
        try:
            seed(runtime, events)
            check_seeded(runtime, events)
            measured = measure_in_process(runtime, url, config)
        finally:
            runtime.close()
        workers, bare, lots = measure_http(config, work, url, node.url)
    in_process_rows(result, measured, events)
    http_rows(result, workers, bare, lots, events)
    result.notes.append(
        f"Both lots in one SQLite database, anchored in the same batch on the same anvil; "
        f"in process: {config.rules_rounds} rounds of {config.rules_repeat} requests per lot, "
        f"alternating, median round; over HTTP: {config.verification_clients} wrk clients, "
        f"{config.verification_seconds:g} s per endpoint on one server, measured as in the "
        "verification section."
    )
    return result
