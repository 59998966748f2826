"""The bench's server side with ``--workers``: every worker ready, CPU counted for the tree.

``tree_cpu_seconds`` is checked on a real process tree (a parent whose child burns CPU), and
the bench server is started with two workers against a real anvil: both answer the bare
baseline route, and the CPU it reports covers the children, not only the idle parent.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx
import pytest

from backend.chain import ManagedAnvil
from bench.server import WORKER_HEADER, running_server, server_env
from bench.stats import descendants, process_cpu_seconds, tree_cpu_seconds

#: A parent that starts a child which burns some CPU, says so on the shared stdout, then
#: sleeps: once the line is read, neither process uses CPU, so their counts hold still.
BURNING_TREE = """
import subprocess, sys, time
subprocess.Popen([sys.executable, "-c",
    "import sys, time\\nend = time.process_time() + 0.2\\nwhile time.process_time() < end: pass\\n"
    "print('burned', flush=True)\\ntime.sleep(60)"])
time.sleep(60)
"""


def _read_line(stream: IO[bytes], *, within: float) -> bytes:
    """One line from ``stream``, or fail once ``within`` seconds pass (a hung child, not speed)."""
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout=within):
            pytest.fail("the child never said it had burned its CPU")
    return stream.readline()


def test_tree_cpu_counts_the_children_a_parent_alone_misses() -> None:
    parent = subprocess.Popen([sys.executable, "-c", BURNING_TREE], stdout=subprocess.PIPE)
    assert parent.stdout is not None
    children: list[int] = []
    try:
        assert _read_line(parent.stdout, within=60) == b"burned\n"
        children = descendants(parent.pid)
        assert len(children) == 1
        own, child = process_cpu_seconds(parent.pid), process_cpu_seconds(children[0])
        assert child > 0
        assert tree_cpu_seconds(parent.pid) == pytest.approx(own + child)
        assert tree_cpu_seconds(parent.pid) > own
    finally:
        for pid in children or descendants(parent.pid):
            os.kill(pid, signal.SIGKILL)
        parent.kill()
        parent.wait()
        parent.stdout.close()


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
        assert children > 0  # each worker imported and built the whole application
        assert tree_cpu_seconds(server.pid) >= process_cpu_seconds(server.pid) + children
    assert server.process.returncode in (0, -15, 143)
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]
