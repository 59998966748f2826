#!/usr/bin/env python3
"""Consumer page benchmark (not a test): how heavy is the page, and how fast is it served?

One uvicorn server process (the real app, SQLite, a chain, rate limiting off) holds a lot with
20 anchored, verified events. 32 concurrent keep-alive wrk connections (bench.wrk: a C load
generator in its own process, as the main bench uses; an in-process Python client would spend
more CPU per request than the bare endpoint it is compared with) then hit, for the same
bounded time each and in the same run:

* ``GET /bench/bare``, a bare synchronous FastAPI endpoint on the same app (the baseline);
* the consumer page ``/l/{lot}`` as a Vietnamese phone asks for it;
* the page of a serialised label ``/l/{lot}/{serial}`` (each request also records a scan);
* the page again from a single client, for its latency without a queue.

Every page request checks every event's stored bytes, hash, leaf, Merkle proof and signature
(only chain facts and pure functions of their inputs are remembered, never a verdict).
Printed: the page weight (raw and gzip; the page needs no other request), requests per second,
p50/p99 latency, the server's and wrk's CPU time per request, and the page's share of the bare
endpoint's throughput against the target (≥ 1/4, p99 < 80 ms at 32 clients). Every answer must
be 200; any other status or a socket error fails the run.

    .venv/bin/python scripts/bench_consumer.py [--quick] [--seconds S] [--clients N]
                                               [--chain anvil|memory]

``--quick`` measures for 2 s per endpoint (wrk counts whole seconds). ``--chain memory``
uses the in-process eth-tester chain when anvil is not installed. wrk comes from Debian
(scripts/install_system_deps.sh installs it).
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # the bench package lives at the repository root
    sys.path.insert(0, str(REPO_ROOT))

from bench.chain import ComponentMissing, local_anvil  # noqa: E402
from bench.seed import http_anchor_now, http_cooperative, http_event, http_lot  # noqa: E402
from bench.server import ServerProcess, running_server, server_env  # noqa: E402
from bench.verification import wait_idle  # noqa: E402
from bench.wrk import WrkError, WrkRequests, WrkResult, run_wrk, wrk_binary  # noqa: E402

LOT_EVENTS = 20
#: Issue 20's targets for the consumer page: ≥ ¼ of bare FastAPI, p99 < 80 ms at 32 clients.
TARGET_SHARE = 1 / 4
TARGET_P99_MS = 80.0
PAGE_BUDGET_BYTES = 100 * 1024
VERIFIED_TIMEOUT_S = 120.0
LOT_CODE = "XOAI-PAGE-01"
SERIAL = "000123"
PHONE = {
    "User-Agent": (
        "Mozilla/5.0 (Linux; Android 14; SM-A155F) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
    ),
    "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
    "Accept-Language": "vi-VN,vi;q=0.9",
    "Accept-Encoding": "identity",
}


class BenchFailed(RuntimeError):
    """The seeded lot is not verified, or an endpoint answered something other than 200."""


@dataclass(frozen=True)
class Measured:
    name: str
    load: WrkResult
    cpu_seconds: float

    @property
    def cpu_ms_per_request(self) -> float:
        return 1000.0 * self.cpu_seconds / max(1, self.load.requests)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 s per endpoint")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per endpoint")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients")
    parser.add_argument("--chain", choices=("anvil", "memory"), default="anvil")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds = 2.0
    return args


@contextmanager
def chain_url(chain: str, work: Path) -> Iterator[str]:
    """An anvil node's URL, or ``memory`` for the server's in-process chain."""
    if chain == "memory":
        yield "memory"
        return
    with local_anvil(work / "anvil") as node:
        yield node.url


def seed(server: ServerProcess) -> None:
    """A lot with LOT_EVENTS events (harvest included), anchored, verified, one printed serial."""
    with httpx.Client(base_url=server.url, timeout=60.0) as client:
        coop = http_cooperative(client)
        http_lot(client, coop, LOT_CODE)
        for n in range(LOT_EVENTS - 1):
            http_event(client, coop, LOT_CODE, n)
        http_anchor_now(client)
        deadline = time.monotonic() + VERIFIED_TIMEOUT_S
        while True:
            body = client.get(f"/api/v1/lots/{LOT_CODE}/verification").json()
            if body.get("verdict") == "verified" and len(body["events"]) == LOT_EVENTS:
                return
            if time.monotonic() > deadline:
                raise BenchFailed(f"lot {LOT_CODE} is {body.get('verdict')}: {body.get('reason')}")
            time.sleep(0.25)


def page_weight(server: ServerProcess) -> tuple[int, int]:
    """Bytes of the page as sent without and with gzip (the page loads nothing else)."""
    response = httpx.get(f"{server.url}/l/{LOT_CODE}", headers=PHONE, timeout=30.0)
    if response.status_code != 200 or 'data-verdict="verified"' not in response.text:
        raise BenchFailed(f"page of {LOT_CODE}: {response.status_code}")
    return len(response.content), len(gzip.compress(response.content, 6))


def measure(server: ServerProcess, name: str, path: str, seconds: float, clients: int) -> Measured:
    """``clients`` wrk connections on ``path``: a warm-up, then the measured run; the server's
    CPU clock is read once it has answered the warm-up and again when wrk exits."""
    marks: dict[str, float] = {}

    def mark_start() -> None:
        wait_idle(server)
        marks["cpu"] = server.cpu_seconds()

    try:
        load = run_wrk(
            server.url,
            WrkRequests.get(path),
            connections=clients,
            seconds=seconds,
            headers=PHONE,
            expect=frozenset({200}),
            on_start=mark_start,
        )
    except WrkError as exc:
        raise BenchFailed(f"{name}: {exc}") from exc
    return Measured(name, load, server.cpu_seconds() - marks["cpu"])


def run(
    server: ServerProcess, seconds: float, clients: int
) -> tuple[tuple[int, int], list[Measured]]:
    """Seed the lot, weigh its page, then load the bare endpoint, the page and a label's page."""
    seed(server)
    weight = page_weight(server)
    targets = [
        ("bare FastAPI (sync def)", "/bench/bare"),
        ("consumer page /l/{lot}", f"/l/{LOT_CODE}"),
        ("page of a label /l/{lot}/{serial}", f"/l/{LOT_CODE}/{SERIAL}"),
    ]
    rows = [measure(server, name, path, seconds, clients) for name, path in targets]
    # One client: the latency of a page with no queue in front of it (under load, a closed
    # loop of N clients makes latency ≈ N ÷ throughput, by Little's law).
    rows.append(measure(server, "consumer page, 1 client", f"/l/{LOT_CODE}", seconds, 1))
    return weight, rows


def report(weight: tuple[int, int], rows: list[Measured], clients: int, seconds: float) -> bool:
    raw, zipped = weight
    print(f"Consumer page, lot with {LOT_EVENTS} events, {clients} clients, {seconds:g} s each")
    print(
        f"page weight: {raw / 1024:.1f} KiB raw, {zipped / 1024:.1f} KiB gzip, 1 request "
        f"(budget {PAGE_BUDGET_BYTES // 1024} KiB): {'ok' if raw < PAGE_BUDGET_BYTES else 'OVER'}"
    )
    print(
        f"{'endpoint':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms/req':>12}"
        f"{'wrk µs/req':>12}"
    )
    for m in rows:
        print(
            f"{m.name:<34}{m.load.rps:>9.0f}{m.load.p(50):>9.1f}{m.load.p(99):>9.1f}"
            f"{m.cpu_ms_per_request:>12.2f}{m.load.client_cpu_us_per_request:>12.0f}"
        )
    bare, page = rows[0], rows[1]
    share = page.load.rps / bare.load.rps
    capacity = bare.cpu_ms_per_request / page.cpu_ms_per_request
    p99 = page.load.p(99)
    holds = share >= TARGET_SHARE and p99 < TARGET_P99_MS and raw < PAGE_BUDGET_BYTES
    print(
        f"page / bare: throughput {share:.2f} (target ≥ {TARGET_SHARE:.2f}), "
        f"server capacity {capacity:.2f}; page p99 {p99:.1f} ms (target < {TARGET_P99_MS:g})"
    )
    print("targets: " + ("met" if holds else "NOT met"))
    return holds


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    try:
        wrk_binary()
    except ComponentMissing as exc:
        print(exc, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="sentrace-bench-consumer-") as tmp:
        work = Path(tmp)
        try:
            with chain_url(args.chain, work) as rpc_url:
                env = server_env(
                    data_dir=work / "data",
                    database_url=f"sqlite:///{(work / 'ledger.db').as_posix()}",
                    rpc_url=rpc_url,
                    overrides={"SENTRACE_BATCH_MAX_DELAY_S": "1"},
                )
                with running_server(env, work / "server.log") as server:
                    try:
                        weight, rows = run(server, args.seconds, args.clients)
                    except BenchFailed:
                        print(server.log_tail(60), file=sys.stderr)
                        raise
        except ComponentMissing as exc:
            print(f"{exc} (or run with --chain memory)", file=sys.stderr)
            return 2
    report(weight, rows, args.clients, args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
