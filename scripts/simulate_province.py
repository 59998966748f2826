#!/usr/bin/env python3
"""A province's day on one machine: 5,000 cooperatives, 2,000 packers, 1,000,000 events.

    .venv/bin/python scripts/simulate_province.py [--day-fraction 0.0025] [--day-seconds 216]
        [--orgs 40] [--packers 16] [--processes 4] [--replica | --no-replica]
        [--scans-per-day 1000000] [--out report.md] [--quick]

A whole day does not fit in a run (the server accepts a few hundred events a second on
PostgreSQL here), so the run sends ``--day-fraction`` of the day's events and scans, squeezed
into ``--day-seconds``, with a sample of organisations. By default that is 0.25% of the day in
216 s, so every hour of the run offers exactly the real rate of that hour; a larger fraction
in the same time is a stress test at that many times the real rates. It runs on the real
stack: a fresh durable PostgreSQL database (by default with a streaming replica serving the
public reads), a local anvil chain, and ``sentrace serve --workers N`` with its anchoring
worker. Writes follow a morning-heavy curve, scans an evening-heavy one
(bench/province_plan.py). Two short probes then measure scans and ingest at saturation.

It prints one markdown table: each figure as measured, and projected per simulated day by
arithmetic on the measurement (said in each row and in the notes). The exit status is 0 when
the run had no 5xx answer, no failed connection and no refused write; 1 otherwise; 3 when a
component (anvil, PostgreSQL, wrk) is missing. ``--quick`` runs every code path in tiny
sizes for the test suite; its figures mean nothing.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # the bench package lives at the repository root
    sys.path.insert(0, str(REPO_ROOT))

from bench.chain import ComponentMissing, local_anvil  # noqa: E402
from bench.postgres import (  # noqa: E402
    new_postgres_database,
    replica_url,
    settings_line,
    stop_cluster,
)
from bench.province_measure import (  # noqa: E402
    Growth,
    chain_costs,
    engine_for,
    snapshot,
    wait_anchored,
)
from bench.province_plan import Scale  # noqa: E402
from bench.province_report import (  # noqa: E402
    Batching,
    Outcome,
    markdown,
    refused_writes,
    server_errors,
)
from bench.province_run import Sizes, probe_scans, probe_writes, run_day, set_up  # noqa: E402
from bench.results import machine_line  # noqa: E402
from bench.server import ServerProcess, running_server, server_env  # noqa: E402
from bench.wrk import wrk_binary  # noqa: E402

MISSING_COMPONENT = 3
#: The run's batching: anchors often enough, in compressed time, to measure gas per anchor.
RUN_BATCHING = Batching(max_events=1000, max_delay_s=2.0, poll_s=0.5)
ANCHOR_TIMEOUT_S = 600.0
FULL_SIZES = Sizes(
    writers=8, scanners=32, shelf_lots=8, serials=40, probe_seconds=10.0, probe_connections=16
)
QUICK_SIZES = Sizes(
    writers=3, scanners=4, shelf_lots=2, serials=5, probe_seconds=2.0, probe_connections=4
)
QUICK = {"day_fraction": 0.0002, "day_seconds": 15.0, "orgs": 2, "packers": 1}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--day-fraction",
        type=float,
        default=0.0025,
        help="part of the day's events and scans the run sends (default 0.0025)",
    )
    parser.add_argument(
        "--day-seconds",
        type=float,
        default=216.0,
        help="wall seconds the 24 h are squeezed into (default 216: the real rates at the "
        "default fraction)",
    )
    parser.add_argument("--orgs", type=int, default=40, help="sampled cooperatives (default 40)")
    parser.add_argument("--packers", type=int, default=16, help="sampled packers (default 16)")
    parser.add_argument("--processes", type=int, default=4, help="server processes (default 4)")
    parser.add_argument(
        "--replica",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="public reads on a streaming replica (default: on)",
    )
    parser.add_argument(
        "--scans-per-day",
        type=int,
        default=1_000_000,
        help="consumer scans in the simulated day (default 1,000,000)",
    )
    parser.add_argument("--out", type=Path, help="also write the markdown report to this file")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes, seconds long: proves the code path, figures meaningless",
    )
    args = parser.parse_args(argv)
    if args.quick:
        for name, value in QUICK.items():
            if getattr(args, name) == parser.get_default(name):
                setattr(args, name, value)
    check_args(parser, args)
    return args


def check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse sizes that name no run, with the option in the message."""
    if not 0 < args.day_fraction <= 1:
        parser.error(f"--day-fraction must be in (0, 1], not {args.day_fraction:g}")
    if args.day_seconds < 10:
        parser.error(
            f"--day-seconds must be at least 10 (24 compressed hours), not {args.day_seconds:g}"
        )
    for option, value in (("--orgs", args.orgs), ("--packers", args.packers)):
        if value < 1:
            parser.error(f"{option} must be at least 1, not {value}")
    if not 1 <= args.processes <= 64:
        parser.error(f"--processes must be 1…64, not {args.processes}")
    if args.scans_per_day < 1:
        parser.error(f"--scans-per-day must be at least 1, not {args.scans_per_day}")
    if args.out is not None and args.out.is_dir():
        parser.error(f"--out names a file to write, and {args.out} is a folder")


def scale_of(args: argparse.Namespace) -> Scale:
    return Scale(args.day_fraction, args.day_seconds, args.orgs, args.packers, args.scans_per_day)


def overrides(replica: str) -> dict[str, str]:
    env = {
        "SENTRACE_BATCH_MAX_EVENTS": str(RUN_BATCHING.max_events),
        "SENTRACE_BATCH_MAX_DELAY_S": str(RUN_BATCHING.max_delay_s),
        "SENTRACE_WORKER_POLL_S": str(RUN_BATCHING.poll_s),
    }
    if replica:
        env["SENTRACE_DATABASE_REPLICA_URLS"] = replica
    return env


STARTED = time.monotonic()


def progress(text: str) -> None:
    """A line on stderr, with the seconds since the script started (where the time goes)."""
    print(f"[province {time.monotonic() - STARTED:5.0f} s] {text}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Stack:
    """Where the run's server keeps its data and how its reads are served."""

    database_url: str
    replica: str
    rpc_url: str


def measure(server: ServerProcess, stack: Stack, args: argparse.Namespace) -> Outcome:
    """Set-up, the day, the wait for anchoring, the probes; see bench.province_run."""
    scale, sizes = scale_of(args), QUICK_SIZES if args.quick else FULL_SIZES
    engine = engine_for(stack.database_url)
    progress(f"set-up: {args.orgs} cooperatives, {args.packers} packers, shelf lots …")
    cast = set_up(server, scale, sizes)
    before = snapshot(engine)
    progress(f"day: {scale.events:,} events, {scale.scans:,} scans in {args.day_seconds:g} s …")
    day = run_day(server, cast, scale, sizes)
    progress("waiting until the day's events and milestones are confirmed …")
    anchored_after = wait_anchored(engine, before, ANCHOR_TIMEOUT_S)
    growth = Growth(before, snapshot(engine))
    chain = chain_costs(engine, stack.rpc_url, before)
    progress("probes: scans, then ingest, at saturation …")
    scans = probe_scans(server, cast, sizes)  # first: the ingest probe leaves anchoring to do
    writes = probe_writes(server, cast, sizes)
    engine.dispose()
    replica = "a streaming replica (pg_basebackup -R -X stream)" if stack.replica else "primary"
    return Outcome(
        scale=scale,
        processes=args.processes,
        replica=replica,
        run_batching=RUN_BATCHING,
        day=day,
        anchored_after_s=anchored_after,
        growth=growth,
        chain=chain,
        writes=writes,
        scans=scans,
    )


def simulate(args: argparse.Namespace, work: Path) -> Outcome:
    """The stack (anvil, PostgreSQL and its replica, the server), then :func:`measure`."""
    wrk_binary()  # missing: stop before anything starts
    with local_anvil(work / "anvil") as node:
        database_url = new_postgres_database()
        replica = replica_url(database_url) if args.replica else ""
        stack = Stack(database_url, replica, node.url)
        env = server_env(
            data_dir=work / "data",
            database_url=database_url,
            rpc_url=node.url,
            overrides=overrides(replica),
        )
        log = work / "server.log"
        progress(f"starting {args.processes} server processes …")
        with running_server(env, log, workers=args.processes) as server:
            try:
                return measure(server, stack, args)
            except Exception:
                print(server.log_tail(60), file=sys.stderr)
                raise


def header(command: str, machine: str, seconds: float) -> list[str]:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    database = settings_line() or "PostgreSQL (settings not read)"
    return [
        "# Province simulation",
        "",
        f"Command: `{command}` · {stamp} · {seconds:.0f} s",
        "",
        f"Machine: {machine}; {database}",
    ]


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    args = parse_args(arguments)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    command = " ".join(
        [".venv/bin/python scripts/simulate_province.py", *map(shlex.quote, arguments)]
    )
    machine, started = machine_line(), time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="sentrace-province-") as work:
            outcome = simulate(args, Path(work))
    except ComponentMissing as exc:
        print(f"component missing: {exc}", file=sys.stderr)
        return MISSING_COMPONENT
    finally:
        stop_cluster()
    report = markdown(outcome, header=header(command, machine, time.perf_counter() - started))
    print(report)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")
    return 1 if server_errors(outcome) or refused_writes(outcome) else 0


if __name__ == "__main__":
    sys.exit(main())
