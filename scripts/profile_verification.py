#!/usr/bin/env python3
"""Where a verification read spends its CPU: cProfile of the verdict endpoint and the page.

The lot is the one the verification bench measures (bench/verification.py): 20 events signed
with a custodial cooperative's key, split off a parent lot of 3, all anchored on anvil and
final. It is seeded through a bench server (uvicorn, the real app, the anchoring worker);
the server is then stopped and this process opens the same database, data folder and
registry, and profiles the very work a request's verdict thread does:

* ``GET /api/v1/lots/{code}/verification``: ``api.verification.verification_json`` (session,
  lineage, a fresh chain view, every check, the JSON bytes);
* the consumer page ``/l/{code}`` as a phone asks for it: the resolver's one thread-pool call
  (session, chain view, browser check, lineage, verdicts, page, gzip), on a request built
  from the same ASGI scope a server would hand it.

Each is run once to warm up, then ``--repeat`` times under cProfile on the process CPU clock;
the top lines by own time and by cumulative time are printed, with CPU milliseconds per
request (process CPU clock, without the profiler) for comparison with the bench's server CPU
per request. ``--save DIR`` keeps the raw profiles for ``python -m pstats``.

    .venv/bin/python scripts/profile_verification.py [--repeat 200] [--top 25] [--ancestors N]

``--ancestors N`` profiles the ancestry bench's lot instead (bench/ancestry.py): the same 20
events, split off a harvest lot holding N events.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # the bench package lives at the repository root
    sys.path.insert(0, str(REPO_ROOT))

import httpx  # noqa: E402
from fastapi import Request  # noqa: E402

from backend.api.verification import verification_json  # noqa: E402
from backend.config import Settings  # noqa: E402
from backend.deps import request_session  # noqa: E402
from backend.runtime import Runtime  # noqa: E402
from backend.web.consumer.browser_check import browser_check  # noqa: E402
from backend.web.consumer.page_request import PageRequest  # noqa: E402
from backend.web.consumer.routes import _resolve  # noqa: E402
from bench.ancestry import seed_lineage, wait_all_verified  # noqa: E402
from bench.chain import local_anvil  # noqa: E402
from bench.config import BenchConfig  # noqa: E402
from bench.seed import http_cooperative  # noqa: E402
from bench.server import running_server, server_env  # noqa: E402
from bench.verification import PAGE_HEADERS, seed_verified_lot  # noqa: E402


class ProfileFailed(RuntimeError):
    """The seeded lot did not answer as the bench's lot does (200, verified)."""


def page_request(path: str) -> PageRequest:
    """The consumer page request a phone makes, as the resolver sees it."""
    headers = [(k.lower().encode(), v.encode()) for k, v in PAGE_HEADERS.items()]
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "scheme": "http",
    }
    return PageRequest(Request(scope))


def page_work(runtime: Runtime, path: str) -> Callable[[], object]:
    """The resolver's thread-pool call for ``path`` (backend/web/consumer/routes.py)."""

    def work() -> object:
        page = page_request(path)
        with request_session(runtime) as session:
            view = runtime.chain_view()
            node_url = runtime.chain.endpoint if runtime.chain is not None else None
            check = browser_check(runtime.settings, view, node_url)
            return _resolve(page, session, runtime.settings, view, check)

    return work


def profile(
    name: str, work: Callable[[], object], repeat: int, top: int, save: Path | None
) -> None:
    """Warm once, time ``repeat`` calls on the CPU clock, then profile ``repeat`` more
    (written to ``save`` for ``python -m pstats`` when given)."""
    work()
    started = time.process_time()
    for _ in range(repeat):
        work()
    cpu_ms = 1000.0 * (time.process_time() - started) / repeat
    # The process CPU clock, not the wall clock: waits for the node or the database (and for
    # a core on a shared machine) are not this process's work, the bench counts them apart.
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(repeat):
        work()
    profiler.disable()
    if save is not None:
        profiler.dump_stats(save)
    print(f"\n## {name}: {cpu_ms:.2f} ms CPU per request (without the profiler), {repeat} calls")
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(top)
        lines = out.getvalue().splitlines()
        start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
        print(f"\n### by {order}\n")
        print("\n".join(lines[start:]).rstrip())


def seed(work: Path, rpc_url: str, config: BenchConfig, ancestors: int) -> tuple[str, str]:
    """The bench's lot, seeded through a bench server; returns (database URL, lot code).
    With ``ancestors``, the ancestry bench's lot instead (bench/ancestry.py): split off a
    harvest lot holding that many events."""
    url = f"sqlite:///{(work / 'sentrace.db').as_posix()}"
    env = server_env(
        data_dir=work / "data",
        database_url=url,
        rpc_url=rpc_url,
        overrides={"SENTRACE_BATCH_MAX_DELAY_S": "1"},
    )
    with running_server(env, work / "server.log") as server:
        if not ancestors:
            return url, seed_verified_lot(server, config.lot_events, config.parent_events)
        with httpx.Client(base_url=server.url, timeout=60.0) as client:
            code = seed_lineage(client, http_cooperative(client), ancestors, config.lot_events)
            wait_all_verified(client, [code])
    return url, code


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="profiled calls per endpoint")
    parser.add_argument("--top", type=int, default=25, help="lines printed per ordering")
    parser.add_argument(
        "--ancestors",
        type=int,
        default=0,
        help="profile the ancestry bench's lot whose ancestors hold this many events (≥ 3)",
    )
    parser.add_argument(
        "--save", type=Path, help="folder for the raw profiles (verification.prof, page.prof)"
    )
    args = parser.parse_args(argv)
    if args.ancestors and args.ancestors < 3:
        parser.error("--ancestors must be at least 3 (a harvest, an observation, the split)")
    if args.save is not None:
        args.save.mkdir(parents=True, exist_ok=True)
    config = BenchConfig.full(REPO_ROOT / "bench-out", Path(tempfile.gettempdir()))
    with tempfile.TemporaryDirectory(prefix="sentrace-profile-") as tmp:
        work = Path(tmp)
        with local_anvil(work / "anvil") as node:
            url, code = seed(work, node.url, config, args.ancestors)
            settings = Settings(
                data_dir=work / "data",
                database_url=url,
                chain_rpc_url=node.url,
                worker_enabled=False,
                rate_limit_per_minute=0,
            )
            runtime = Runtime.start(settings)
            try:
                status, body = verification_json(runtime, code)
                if status != 200 or b'"verdict":"verified"' not in body.replace(b" ", b""):
                    raise ProfileFailed(f"{code}: {status} {body[:300]!r}")
                answer = page_work(runtime, f"/l/{code}")()
                if getattr(answer, "status_code", None) != 200:
                    raise ProfileFailed(f"page of {code}: {answer!r}")
                parent = args.ancestors or config.parent_events
                print(
                    f"# Lot {code}: {config.lot_events} signed events, split off a parent of "
                    f"{parent}; SQLite, anvil at {node.url}"
                )
                profile(
                    "GET /api/v1/lots/{code}/verification",
                    lambda: verification_json(runtime, code),
                    args.repeat,
                    args.top,
                    args.save / "verification.prof" if args.save else None,
                )
                profile(
                    "consumer page /l/{code}",
                    page_work(runtime, f"/l/{code}"),
                    args.repeat,
                    args.top,
                    args.save / "page.prof" if args.save else None,
                )
            finally:
                runtime.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
