"""Verification by size of ancestry: how a read's cost grows with the events behind a lot.

Every verification read checks every event of the lot *and of its ancestors* (their stored
bytes, hashes, leaves, proofs, the `prev` chain and signatures), so a processing lot merged
from a hundred harvest lots costs what all of them hold. This section builds, on one server
(SQLite, one process, the anchoring worker running, rate limiting off), one lot of
``config.lot_events`` events for each entry of ``config.ancestry_sizes``: split off a harvest
lot holding that many events (seeded through the batch endpoint, 500 events a request, every
event signed with the custodial cooperative's key), all anchored and verified. wrk then loads
``GET /api/v1/lots/{code}/verification`` of each for the same bounded time, and each figure is
printed against the smallest ancestry's, measured on the same server in the same run. The
target: 300 ancestor events keep at least half the rate of 20.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

import httpx

from bench.chain import local_anvil
from bench.config import BenchConfig
from bench.databases import database
from bench.results import Row, SectionResult, number
from bench.seed import (
    HttpCooperative,
    SeedFailed,
    event_body,
    http_anchor_now,
    http_cooperative,
    http_event,
    http_lot,
    http_split,
)
from bench.server import ServerProcess, running_server, server_env
from bench.verification import measure, wait_verified
from bench.wrk import wrk_binary

log = logging.getLogger(__name__)

#: Events per ``POST /api/v1/events/batch`` while seeding (the API's maximum).
SEED_BATCH = 500
TARGET_SIZE = 300
TARGET_SHARE = 0.5
#: A read of the largest ancestry, queued behind 31 others, may take many seconds: a timeout
#: would fail the run rather than measure it.
WRK_TIMEOUT_S = 300.0
#: Reads slower than this alone are loaded with :data:`FEW_CLIENTS` connections.
SLOW_READ_S = 0.25
FEW_CLIENTS = 4
MAX_WINDOW_S = 90.0


def _batch(client: httpx.Client, coop: HttpCooperative, code: str, first: int, count: int) -> None:
    items = [{"lot": code, **event_body(first + n)} for n in range(count)]
    response = client.post(
        "/api/v1/events/batch", json={"events": items}, headers=coop.headers, timeout=300.0
    )
    if response.status_code != 201:  # a batch is stored whole or not at all
        raise SeedFailed(f"batch on {code}: {response.status_code} {response.text[:300]}")


def seed_lineage(
    client: httpx.Client, coop: HttpCooperative, ancestors: int, lot_events: int
) -> str:
    """A lot of ``lot_events`` events split off a harvest lot of ``ancestors`` events (its
    harvest, the observations, and the split itself); returns the lot's code."""
    parent = http_lot(client, coop, f"XOAI-ANC-{ancestors}")
    written = 0
    observations = max(0, ancestors - 2)
    while written < observations:
        count = min(SEED_BATCH, observations - written)
        _batch(client, coop, parent, written, count)
        written += count
    code = http_split(client, coop, parent, f"XOAI-ANC-{ancestors}-C", "400")
    for n in range(lot_events - 1):
        http_event(client, coop, code, n)
    return code


def wait_all_verified(client: httpx.Client, codes: list[str]) -> None:
    http_anchor_now(client)
    for code in codes:
        body = wait_verified(client, code, poll_s=0.5)
        checked = sum(len(item.get("events", [])) for item in [body, *body.get("ancestors", [])])
        log.info("lot %s verified; %d events in the answer", code, checked)


def one_read_seconds(server: ServerProcess, path: str) -> float:
    """The slowest of three reads of ``path`` with nothing else running (after one warm read)."""
    with httpx.Client(base_url=server.url, timeout=WRK_TIMEOUT_S) as client:
        client.get(path).raise_for_status()
        times = []
        for _ in range(3):
            started = time.perf_counter()
            client.get(path).raise_for_status()
            times.append(time.perf_counter() - started)
    return max(times)


def load_plan(config: BenchConfig, read_s: float) -> tuple[int, float]:
    """Clients and seconds for one size: the configured 32 clients while a read is quick;
    for slow reads fewer clients (one process is CPU-bound either way, so its rate does not
    depend on how many wait) and a window long enough for every client to finish several."""
    clients = config.verification_clients if read_s < SLOW_READ_S else FEW_CLIENTS
    return clients, max(config.verification_seconds, min(MAX_WINDOW_S, 5 * read_s * clients))


def run_on_server(server: ServerProcess, config: BenchConfig, result: SectionResult) -> None:
    with httpx.Client(base_url=server.url, timeout=60.0) as client:
        coop = http_cooperative(client)
        codes = [seed_lineage(client, coop, n, config.lot_events) for n in config.ancestry_sizes]
        wait_all_verified(client, codes)
    base = None
    for size, code in zip(config.ancestry_sizes, codes, strict=True):
        path = f"/api/v1/lots/{code}/verification"
        read_s = one_read_seconds(server, path)
        clients, seconds = load_plan(config, read_s)
        log.warning(
            "ancestry %d: one read %.3f s; %d clients for %g s", size, read_s, clients, seconds
        )
        m = measure(
            server,
            f"{size:,} ancestor events",
            path,
            replace(config, verification_seconds=seconds),
            clients=clients,
            timeout_s=WRK_TIMEOUT_S,
        )
        if m.load.requests == 0:
            result.add(Row(f"{size:,} ancestor events: no read finished in {seconds:.0f} s", None,
                           "req/s", note=f"one read alone {number(1000 * read_s)} ms"))  # fmt: skip
            continue
        base = base or m
        share = m.load.rps / base.load.rps
        is_target = size == TARGET_SIZE
        result.add(
            Row(
                f"GET …/verification, lot of {config.lot_events} events whose ancestors hold "
                f"{size:,}: {clients} clients for {seconds:.0f} s (p50 {number(m.load.p(50))} ms, "
                f"p99 {number(m.load.p(99))} ms; one read alone {number(1000 * read_s)} ms; "
                f"server CPU {number(m.cpu_ms_per_request)} ms/req)",
                m.load.rps,
                "req/s",
                baseline=f"{config.ancestry_sizes[0]:,} ancestor events: "
                f"{number(base.load.rps)} req/s",
                ratio=share,
                ratio_label=f"of {config.ancestry_sizes[0]:,}",
                target=f"≥ {TARGET_SHARE:g} of {config.ancestry_sizes[0]:,}" if is_target else "",
                holds=share >= TARGET_SHARE if is_target else None,
            )
        )


def run(config: BenchConfig) -> SectionResult:
    result = SectionResult("ancestry", "Verification by size of ancestry")
    wrk_binary()
    work = config.work_dir / "ancestry"
    with local_anvil(work / "anvil") as node:
        env = server_env(
            data_dir=work / "data",
            database_url=database("sqlite", work / "db"),
            rpc_url=node.url,
            overrides={"SENTRACE_BATCH_MAX_DELAY_S": "1"},
        )
        with running_server(env, config.out_dir / "logs" / "ancestry.log", workers=1) as server:
            run_on_server(server, config, result)
    result.notes.append(
        f"SQLite, 1 server process, {config.verification_clients} wrk clients "
        f"({FEW_CLIENTS} where one read alone takes over {SLOW_READ_S:g} s, for a window of "
        f"five such reads per client, at most {MAX_WINDOW_S:g} s), at least "
        f"{config.verification_seconds:g} s per lot after a 1 s warm-up; each ancestry is one "
        "harvest lot the measured lot was split off (its events seeded 500 to a batch "
        "request); every read checks every event of the lot and of its ancestors."
    )
    return result
