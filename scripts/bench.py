#!/usr/bin/env python3
"""``make bench``: what SenTrace costs and how fast it is, each figure beside its baseline.

Runs the sections of the ``bench`` package (gas, ingest, anchoring, verification,
verification_rules, labels), prints one markdown table and writes it, a JSON copy and the gas
chart to ``bench-out/``.
``--quick`` runs every section with tiny sizes (CI proves the bench still works);
``--only gas,ingest`` picks sections; ``--server-workers 1,4`` sets how many server
processes the HTTP measurements (ingest over HTTP, verification) run with, one server per
count. A section whose component is missing (anvil, PostgreSQL) is reported as skipped; a
section that fails is reported and makes the exit status 1, after the other sections have run.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import logging
import shlex
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # the bench package lives at the repository root
    sys.path.insert(0, str(REPO_ROOT))

from bench.chain import ComponentMissing  # noqa: E402
from bench.config import SECTIONS, BenchConfig, parse_workers  # noqa: E402
from bench.postgres import settings_line, stop_cluster  # noqa: E402
from bench.results import (  # noqa: E402
    SectionResult,
    machine_line,
    markdown_report,
    write_json,
)

TITLES = {
    "gas": "Gas per event",
    "ingest": "Ingest",
    "anchoring": "Anchoring throughput",
    "verification": "Verification under load",
    "verification_rules": "Verification, rules v1 vs v2",
    "ancestry": "Verification by size of ancestry",
    "mixed": "Mixed load on PostgreSQL",
    "labels": "Labels",
    "signatures": "Signatures",
    "browser_check": "Browser check (in-page verification)",
    "recall": "Recall impact",
    "epcis": "EPCIS 2.0",
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: proves it works")
    parser.add_argument(
        "--only", default=",".join(SECTIONS), help=f"comma-separated: {','.join(SECTIONS)}"
    )
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench-out")
    parser.add_argument(
        "--no-postgres", action="store_true", help="SQLite only (skip the PostgreSQL runs)"
    )
    parser.add_argument(
        "--server-workers",
        metavar="N,M",
        help="server processes the HTTP measurements run with, e.g. 1,2 "
        "(default: 1,4; with --quick: 2)",
    )
    args = parser.parse_args(argv)
    if args.server_workers is not None:
        try:
            args.server_workers = parse_workers(args.server_workers)
        except ValueError as exc:
            parser.error(f"--server-workers: {exc}")
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}; choose from {SECTIONS}")
    args.sections = [name for name in SECTIONS if name in chosen]
    return args


def run_section(name: str, config: BenchConfig) -> SectionResult:
    """Run one section; a missing component skips it, any other error is reported."""
    started = time.perf_counter()
    module = importlib.import_module(f"bench.{name}")
    try:
        result: SectionResult = module.run(config)
    except ComponentMissing as exc:
        result = SectionResult(name, TITLES[name], skipped=str(exc))
    result.seconds = time.perf_counter() - started
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    machine = machine_line()
    arguments = argv if argv is not None else sys.argv[1:]
    command = " ".join([".venv/bin/python scripts/bench.py", *map(shlex.quote, arguments)])
    results: list[SectionResult] = []
    failed = False
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sentrace-bench-") as work:
        make = BenchConfig.quick_run if args.quick else BenchConfig.full
        config = make(args.out, Path(work))
        if args.no_postgres:
            config = dataclasses.replace(config, databases=("sqlite",))
        if args.server_workers is not None:
            config = dataclasses.replace(config, server_workers=args.server_workers)
        try:
            for name in args.sections:
                print(f"[bench] {name} …", file=sys.stderr, flush=True)
                try:
                    result = run_section(name, config)
                except Exception as exc:
                    failed = True
                    traceback.print_exc()
                    result = SectionResult(name, TITLES[name], skipped=f"failed: {exc!r}")
                print(f"[bench] {name}: {result.seconds:.1f} s", file=sys.stderr, flush=True)
                results.append(result)
        finally:
            stop_cluster()
    database = settings_line()  # durable settings, read back from the server the run used
    if database is not None:
        machine = f"{machine}; {database}; SQLite in WAL mode, synchronous=NORMAL"
    report = markdown_report(
        results,
        command=command.strip(),
        machine=machine,
        total_seconds=time.perf_counter() - started,
    )
    (args.out / "bench.md").write_text(report, encoding="utf-8")
    write_json(results, args.out / "bench.json")
    print(report)
    for result in results:
        for path in result.files:
            print(f"wrote {path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
