"""The bench's server side with ``--workers``: every worker ready, CPU counted for the tree.

``tree_cpu_seconds`` is checked on a real process tree (a parent whose child burns CPU), and
the bench server is started with two workers against a real anvil: both answer the bare
baseline route, and the CPU it reports covers the children, not only the idle parent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from backend.chain import ManagedAnvil
from bench.server import WORKER_HEADER, running_server, server_env
from bench.stats import descendants, process_cpu_seconds, tree_cpu_seconds

#: A parent that starts a child burning about 0.4 s of CPU, then waits to be killed.
BURNING_TREE = """
import subprocess, sys, time
subprocess.Popen([sys.executable, "-c",
    "import time\\nend = time.process_time() + 0.4\\nwhile time.process_time() < end: pass\\n"
    "time.sleep(60)"])
time.sleep(60)
"""


def test_tree_cpu_counts_the_children_a_parent_alone_misses() -> None:
    parent = subprocess.Popen([sys.executable, "-c", BURNING_TREE])
    children: list[int] = []
    try:
        deadline = time.monotonic() + 30
        while tree_cpu_seconds(parent.pid) - process_cpu_seconds(parent.pid) < 0.35:
            assert time.monotonic() < deadline, "the child never burned its CPU"
            time.sleep(0.1)
        children = descendants(parent.pid)
        assert len(children) == 1
        assert process_cpu_seconds(parent.pid) < 0.35
    finally:
        for pid in children or descendants(parent.pid):
            os.kill(pid, signal.SIGKILL)
        parent.kill()
        parent.wait()


@pytest.mark.slow
@pytest.mark.anvil
def test_bench_server_with_two_workers_answers_from_both_and_accounts_their_cpu(
    tmp_path: Path, anvil_node: ManagedAnvil
) -> None:
    data = tmp_path / "data"
    env = server_env(
        data_dir=data, database_url=f"sqlite:///{data / 'sentrace.db'}", rpc_url=anvil_node.url
    )
    with running_server(env, tmp_path / "server.log", workers=2) as server:
        workers = {
            int(httpx.get(f"{server.url}/bench/bare", timeout=30).headers[WORKER_HEADER])
            for _ in range(200)
        }
        assert len(workers) == 2
        assert set(descendants(server.pid)) >= workers
        children = sum(process_cpu_seconds(pid) for pid in workers)
        assert tree_cpu_seconds(server.pid) >= process_cpu_seconds(server.pid) + children
        assert children > 0.5  # each worker imported and built the whole application
    assert server.process.returncode in (0, -15, 143)
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]
