#!/usr/bin/env python3
"""Where accepting an event spends its CPU: cProfile of the service-layer ingest.

The work is the ingest bench's service-layer measurement (bench/ingest.py): a custodial
cooperative's harvest lots on SQLite, the registry on a fresh anvil, and for each event
``events.add_lot_event`` (validation, permission, lot lock, canonical document, hash, the
server's signature for the custodial key, insert) followed by a commit. The anchoring worker
is off, so the profile is the request's work alone.

``--events`` are run once unprofiled on the process CPU clock (the figure to compare with
the bench's CPU per event), then as many again under cProfile; the top lines by own and by
cumulative time are printed. ``--save FILE`` keeps the raw profile for ``python -m pstats``.

    .venv/bin/python scripts/profile_ingest.py [--events 1000] [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # the bench package lives at the repository root
    sys.path.insert(0, str(REPO_ROOT))

from backend.config import Settings  # noqa: E402
from backend.runtime import Runtime  # noqa: E402
from bench.chain import local_anvil  # noqa: E402
from bench.ingest import SERVICE_LOTS, service_ingest  # noqa: E402
from bench.seed import server_signs_for, service_cooperative  # noqa: E402


def print_top(profiler: cProfile.Profile, top: int) -> None:
    """The profile's ``top`` lines by own time, then by cumulative time."""
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(top)
        lines = out.getvalue().splitlines()
        start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
        print(f"\n### by {order}\n")
        print("\n".join(lines[start:]).rstrip())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000, help="events per pass (> 0)")
    parser.add_argument("--top", type=int, default=25, help="lines printed per ordering")
    parser.add_argument("--save", type=Path, help="file for the raw profile")
    parser.add_argument(
        "--time-only",
        action="store_true",
        help="skip cProfile (to run under a sampling profiler such as py-spy)",
    )
    args = parser.parse_args(argv)
    if args.events <= 0:
        parser.error("--events must be a positive number")
    with tempfile.TemporaryDirectory(prefix="sentrace-profile-ingest-") as tmp:
        work = Path(tmp)
        with local_anvil(work / "anvil") as node:
            settings = Settings(
                data_dir=work / "data",
                database_url=f"sqlite:///{(work / 'sentrace.db').as_posix()}",
                chain_rpc_url=node.url,
                worker_enabled=False,
            )
            runtime = Runtime.start(settings)
            try:
                server_signs_for(runtime)
                codes = [f"XOAI-PRF-{i:02d}" for i in range(SERVICE_LOTS)]
                org = service_cooperative(runtime.engine, settings, codes)
                service_ingest(runtime, org, codes, 50)  # warm: imports, memos, statements
                plain = service_ingest(runtime, org, codes, args.events)
                profiler = cProfile.Profile(time.process_time)
                if not args.time_only:
                    profiler.enable()
                    service_ingest(runtime, org, codes, args.events)
                    profiler.disable()
            finally:
                runtime.close()
    cpu_ms = 1000.0 * (plain.cpu_seconds or 0.0) / plain.count
    print(
        f"# add_lot_event + commit, custodial cooperative, SQLite, {args.events} events: "
        f"{cpu_ms:.3f} ms CPU per event without the profiler "
        f"({plain.count / plain.seconds:.0f} events/s)"
    )
    if args.time_only:
        return 0
    if args.save is not None:
        profiler.dump_stats(args.save)
    print_top(profiler, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
