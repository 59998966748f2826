"""The bench's server process counts: config, ``--server-workers``, labels and CPU marks.

Full runs measure the HTTP sections on one and two server processes, ``--quick`` on two only
(so CI exercises the multi-process path once), and the command line overrides both. The CPU
marks are read from a real process tree: a parent whose two children burn CPU unevenly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.config import BenchConfig, describe_servers, parse_workers, processes
from bench.server import ServerProcess
from bench.verification import CpuMark, busiest_share, cpu_mark
from tests.contracts.scripts import load_script

#: A child that burns ``{seconds}`` of CPU, then waits.
BURN = """
import time
end = time.process_time() + {seconds}
while time.process_time() < end:
    pass
time.sleep(60)
"""
#: A parent that starts two children, one burning twice the CPU of the other, and waits.
UNEVEN_TREE = f"""
import subprocess, sys, time
children = [
    subprocess.Popen([sys.executable, "-c", {BURN!r}.format(seconds=s)]) for s in (0.4, 0.2)
]
time.sleep(60)
"""


def test_full_runs_measure_one_and_four_processes_and_quick_runs_two(tmp_path: Path) -> None:
    assert BenchConfig.full(tmp_path, tmp_path).server_workers == (1, 4)
    assert BenchConfig.quick_run(tmp_path, tmp_path).server_workers == (2,)


def test_parse_workers_sorts_the_counts() -> None:
    assert parse_workers("2,1") == (1, 2)
    assert parse_workers(" 3 ") == (3,)
    assert parse_workers("1,2,") == (1, 2)


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "no worker count"), ("0", "at least 1"), ("1,1", "repeated"), ("two", "invalid")],
)
def test_parse_workers_refuses_what_names_no_server(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_workers(text)


def test_the_command_line_overrides_the_worker_counts() -> None:
    bench = load_script("bench")
    assert bench.parse_args(["--quick"]).server_workers is None  # the config decides
    assert bench.parse_args(["--server-workers", "2,1"]).server_workers == (1, 2)


def test_the_command_line_refuses_a_bad_worker_count(capsys: pytest.CaptureFixture[str]) -> None:
    bench = load_script("bench")
    with pytest.raises(SystemExit):
        bench.parse_args(["--server-workers", "0"])
    assert "--server-workers: worker counts must be at least 1" in capsys.readouterr().err


def test_rows_name_the_serving_processes() -> None:
    assert processes(1) == "1 process"
    assert processes(2) == "2 processes"


def test_the_server_note_explains_only_the_process_counts_measured() -> None:
    one = describe_servers((1,))
    both = describe_servers((1, 2))
    assert "1 process: it serves and runs the anchoring worker" in one
    assert "the parent anchors" not in one
    assert "1 process and 2 processes, each on a server of its own" in both
    assert "the parent anchors and serves nothing" in both
    assert "1 process:" not in describe_servers((2,))


def test_busiest_share_is_the_top_workers_part_of_the_workers_cpu() -> None:
    start = CpuMark(10.0, {101: 1.0, 102: 1.0})
    assert busiest_share(start, CpuMark(12.0, {101: 2.0, 102: 2.0})) == pytest.approx(0.5)
    assert busiest_share(start, CpuMark(14.0, {101: 4.0, 102: 1.0})) == pytest.approx(1.0)
    # A worker that replaced another in the window counts from zero.
    assert busiest_share(start, CpuMark(12.0, {101: 2.0, 103: 3.0})) == pytest.approx(0.75)


def test_busiest_share_is_unknown_without_workers_or_without_work() -> None:
    assert busiest_share(CpuMark(1.0, {}), CpuMark(2.0, {})) is None
    idle = CpuMark(1.0, {101: 1.0, 102: 1.0})
    assert busiest_share(idle, idle) is None


@pytest.fixture
def uneven_tree(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    parent = subprocess.Popen([sys.executable, "-c", UNEVEN_TREE], start_new_session=True)
    try:
        yield parent
    finally:
        os.killpg(parent.pid, signal.SIGKILL)
        parent.wait()


def _server(process: subprocess.Popen[bytes], tmp_path: Path, workers: int) -> ServerProcess:
    return ServerProcess("http://127.0.0.1:1", process, tmp_path / "log", workers)


def test_cpu_mark_reads_the_whole_tree_and_each_child(
    uneven_tree: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    several = _server(uneven_tree, tmp_path, workers=2)
    start = cpu_mark(several)
    deadline = time.monotonic() + 30
    end = cpu_mark(several)
    while sum(end.workers.values()) < 0.55 and time.monotonic() < deadline:
        time.sleep(0.1)
        end = cpu_mark(several)
    assert len(end.workers) == 2
    assert end.tree >= sum(end.workers.values())
    assert end.tree >= start.tree
    share = busiest_share(CpuMark(start.tree, {}), end)
    assert share is not None and 0.5 < share < 0.9  # the 0.4 s child of 0.6 s in all
    # A one-process server reads the same tree but names no workers.
    single = cpu_mark(_server(uneven_tree, tmp_path, workers=1))
    assert single.workers == {}
    assert single.tree >= end.tree
