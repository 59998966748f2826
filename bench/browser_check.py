"""Browser check: how long the lot page's own verification takes in Chromium.

A lot of ``lot_events`` events (20 in the full run) with two ancestors is recorded through the
API on anvil (``bench.browser_lineage``) and its page opened in headless Chromium (Debian's,
as the browser tests use) with the app served by uvicorn on loopback. The script reports its
own time, measured in the page with ``performance.now()``: from the proof bundle in hand to
the browser's verdict (canonical bytes, hashes, Merkle and heads proofs, signatures, and the
chain reads over JSON-RPC to the same anvil), plus how many JSON-RPC requests it made. Each run
is a fresh page load; the median is reported. Baseline, same bundle, same node: the Python
offline verifier (``sentrace verify-proof``'s checks, ``check_bundle`` over ``RpcRegistry``).
Loopback hides network latency: on a phone each JSON-RPC round trip adds its RTT.
"""

from __future__ import annotations

import shutil
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn
from fastapi.testclient import TestClient

from backend.app import create_app
from backend.config import Environment, Settings
from backend.runtime import Runtime
from backend.services.verification.offline import RpcRegistry, check_bundle, trusted_registry
from bench.browser_lineage import record_lineage
from bench.chain import ComponentMissing, local_anvil
from bench.config import BenchConfig
from bench.databases import database
from bench.results import Row, SectionResult

TITLE = "Browser check (in-page verification)"
ADMIN_TOKEN = "bench-admin-token-for-the-browser-check"  # noqa: S105 (a throw-away local app)
CHECK_TIMEOUT_MS = 60_000
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise ComponentMissing("Chromium not found: run scripts/install_system_deps.sh")


@contextmanager
def _serving(runtime: Runtime) -> Iterator[str]:
    """The app on a free loopback port, in a thread, until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    host, port = sock.getsockname()
    server = uvicorn.Server(uvicorn.Config(create_app(runtime), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the benchmark server did not start")
        time.sleep(0.05)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


def _in_page(url: str, runs: int) -> list[tuple[float, int, str]]:
    """(milliseconds, JSON-RPC requests, verdict) of each fresh page load."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ComponentMissing("playwright (Python package) is not installed") from exc
    measured = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        try:
            for _ in range(runs + 1):  # the first load warms the caches and is not counted
                context = browser.new_context(viewport={"width": 390, "height": 844})
                page = context.new_page()
                page.goto(url)
                done = "html[data-browser-check=done], html[data-browser-check=not-run]"
                page.locator(done).wait_for(state="attached", timeout=CHECK_TIMEOUT_MS)
                data = page.evaluate("() => ({...document.documentElement.dataset})")
                verdict = page.locator("#browser-check").get_attribute("data-verdict")
                context.close()
                if data.get("browserCheck") != "done":
                    raise RuntimeError(f"the browser check did not run: {data}")
                ms = float(data["browserCheckMs"])
                measured.append((ms, int(data["browserCheckRequests"]), str(verdict)))
        finally:
            browser.close()
    return measured[1:]


def _python_baseline(runtime: Runtime, bundle: dict[str, Any], rpc: str, runs: int) -> float:
    """Median milliseconds of the Python offline verifier on the same bundle and node."""
    chain_id = bundle["chain"]["chain_id"]
    trusted = trusted_registry(chain_id, contract=None, data_dir=runtime.settings.data_dir)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        result = check_bundle(bundle, lambda address: RpcRegistry(rpc, address), contract=trusted)
        samples.append((time.perf_counter() - started) * 1000)
        if result.exit_code != 0:
            raise RuntimeError(f"the Python verifier did not verify the lot: {result.problems}")
    return statistics.median(samples)


def run(config: BenchConfig) -> SectionResult:
    result = SectionResult("browser_check", TITLE)
    _chromium()  # a missing browser skips the section before anything starts
    work = config.work_dir / "browser-check"
    runs = 3 if config.quick else 15
    events = config.lot_events
    with local_anvil(work / "anvil") as node:
        settings = Settings(
            env=Environment.DEVELOPMENT,
            data_dir=work / "data",
            database_url=database("sqlite", work / "db"),
            chain_rpc_url=node.url,
            worker_enabled=False,
            rate_limit_per_minute=0,
            admin_token=ADMIN_TOKEN,
        )
        runtime = Runtime.start(settings, start_worker=False)
        try:
            with TestClient(create_app(runtime)) as client:
                admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
                lineage = record_lineage(client, runtime, admin=admin, events=events)
            with _serving(runtime) as url:
                measured = _in_page(f"{url}/l/{lineage.lot}", runs)
                bundle = httpx.get(f"{url}/api/v1/lots/{lineage.lot}/proof").json()
            python_ms = _python_baseline(runtime, bundle, node.url, runs)
        finally:
            runtime.close()
    verdicts = {verdict for _, _, verdict in measured}
    if verdicts != {"verified"}:
        raise RuntimeError(f"the browser's verdicts were {verdicts}, not verified")
    times = sorted(ms for ms, _, _ in measured)
    median = statistics.median(times)
    total = len(bundle["events"])
    result.rows.append(
        Row(
            f"in-page verification, {events}-event lot + 2 ancestors ({total} events) [Chromium]",
            round(median, 1),
            "ms",
            baseline=f"Python offline verifier {python_ms:.1f} ms",
            ratio=round(median / python_ms, 2) if python_ms else None,
            ratio_label="of the Python verifier's time",
            note=f"min {times[0]:.1f}, max {times[-1]:.1f} ms; "
            f"{measured[0][1]} JSON-RPC requests per check",
        )
    )
    result.notes.append(
        f"In the page: median {median:.1f} ms (min {times[0]:.1f}, max {times[-1]:.1f}) with "
        f"{measured[0][1]} JSON-RPC requests (batched) per check, verdict verified each time."
    )
    result.notes.append(
        f"{runs} fresh page loads (after one warm-up) in headless Chromium on a phone-sized "
        "page; time from performance.now() in the page, from the bundle in hand to the verdict, "
        "JSON-RPC to anvil on loopback (a phone adds one round trip per request)."
    )
    return result
