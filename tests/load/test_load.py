"""A bounded load test: 20 organisations writing and consumers scanning, against one server.

The server runs on PostgreSQL with its anchoring worker and a real anvil node; the load comes
from ``scripts/load_test.py`` in a subprocess (loopback only, bounded in time and requests).
The run must end with zero 5xx answers and every accepted event anchored after the drain. The
report, with p99 latencies per kind of request, is printed (``pytest -s`` shows it).

``SENTRACE_LOAD_SECONDS`` sets the load phase (20 s here by default to keep CI short; the
script's own default, for the full run, is 60 s).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.chain.anvil import ManagedAnvil
from tests.support.app import ADMIN_TOKEN
from tests.support.components import REPO_ROOT
from tests.support.server import ServerFactory, server_env

pytestmark = [pytest.mark.slow, pytest.mark.anvil, pytest.mark.postgres]

LOAD_SECONDS = float(os.environ.get("SENTRACE_LOAD_SECONDS", "20"))
SCRIPT = REPO_ROOT / "scripts" / "load_test.py"


def test_load_from_twenty_organisations_loses_nothing_and_never_answers_5xx(
    tmp_path: Path,
    anvil_node: ManagedAnvil,
    postgres_url: str,
    server_factory: ServerFactory,
) -> None:
    env = server_env(
        tmp_path / "data",
        database_url=postgres_url,
        chain_rpc_url=anvil_node.url,
        batch_max_delay_s=2,
        worker_poll_s=0.5,
        rate_limit_per_minute=0,  # every scan comes from one loopback address
    )
    server = server_factory(env)
    report_path = tmp_path / "load-report.json"
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--base-url",
            server.url,
            "--admin-token",
            ADMIN_TOKEN,
            "--duration",
            str(LOAD_SECONDS),
            "--orgs",
            "20",
            "--workers",
            "12",
            "--drain-timeout",
            "240",
            "--json",
            str(report_path),
        ],
        capture_output=True,
        text=True,
        timeout=LOAD_SECONDS + 600,
        check=False,
    )
    print(done.stdout)
    assert report_path.exists(), done.stdout + done.stderr + server.log_tail()
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["server_errors"] == 0, report["statuses"]
    assert report["transport_errors"] == 0, report["statuses"]
    events = report["events"]
    assert events["accepted"] > 0
    assert events["accepted"] == events["stored"] == events["anchored"], events
    assert {"write:harvest", "write:event", "write:transfer"} <= set(report["latency"])
    assert {"read:page", "read:verification"} <= set(report["latency"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert server.is_running(), server.log_tail()
