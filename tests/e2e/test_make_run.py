"""The first run, as ``make run`` does it: ``sentrace serve --demo`` with a managed anvil.

Starts the real command on a free port with a fresh data folder, waits for ``/readyz``, checks
the banner (URLs and demo sign-ins) and that the demo lots verify, stops it with SIGINT (Ctrl-C)
and checks that the anvil node stopped with it; then starts it again on the same folder and
checks the data is still there, still verified, and not duplicated.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from backend.runtime import ANVIL_DIR, ANVIL_ENDPOINT_FILE
from tests.support.components import REPO_ROOT, anvil_binary

pytestmark = [pytest.mark.slow, pytest.mark.anvil]

SENTRACE = Path(sys.executable).with_name("sentrace")
DEMO_LOTS = {
    "XOAI-2606-01": "verified",
    "XOAI-2606-01-P1": "verified",
    "QUYT-2606-01-A": "verified",
    "SEN-2606-01": "verified",
    "LUA-2606-01": "verified",
    "QUYT-2606-02": "recalled",
}


CLEAN_STOP = {0, 128 + signal.SIGINT}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(data: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SENTRACE_DATA_DIR": str(data),
        "SENTRACE_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "SENTRACE_ENV": "development",
        "SENTRACE_BATCH_MAX_DELAY_S": "1",
    }
    for name in ("SENTRACE_CHAIN_RPC_URL", "SENTRACE_DATABASE_URL", "SENTRACE_CONTRACT_ADDRESS"):
        env.pop(name, None)
    return subprocess.Popen(
        [str(SENTRACE), "serve", "--host", "127.0.0.1", "--port", str(port), "--demo"],
        cwd=REPO_ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _wait_ready(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited early ({process.returncode}):\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"server never became ready:\n{log.read_text()[-4000:]}")


def _verdicts(base: str) -> dict[str, str]:
    """Each demo lot's verdict, polled until all are final (anchoring may still be running)."""
    deadline = time.monotonic() + 120
    while True:
        verdicts = {
            code: httpx.get(f"{base}/api/v1/lots/{code}/verification", timeout=30).json()["verdict"]
            for code in DEMO_LOTS
        }
        if verdicts == DEMO_LOTS or time.monotonic() > deadline:
            return verdicts
        time.sleep(1)


def _stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail("server did not stop within a minute of Ctrl-C")
        raise


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is a dead process still waiting for its parent
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _row_counts(data: Path) -> tuple[int, int, int]:
    with sqlite3.connect(data / "sentrace.db") as db:
        return tuple(  # type: ignore[return-value]
            db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("lot", "event", "user")
        )


def test_serve_demo_starts_verifies_stops_and_keeps_its_data(tmp_path: Path) -> None:
    anvil_binary()  # skip locally / fail in CI when the node is missing
    data = tmp_path / "data"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "first-run.log"
    process = _start(data, port, log)
    try:
        _wait_ready(process, base, log)
        assert _verdicts(base) == DEMO_LOTS
        banner = log.read_text()
        assert f"{base}/app/login" in banner
        assert "donggoi / demo-donggoi-2026" in banner
        assert (data / "demo-labels-XOAI-2606-01-P1.pdf").stat().st_size > 10_000
        login = httpx.get(f"{base}/app/login", timeout=10)
        assert login.status_code == 200 and "Đăng nhập" in login.text
        endpoint = json.loads((data / ANVIL_DIR / ANVIL_ENDPOINT_FILE).read_text())
        anvil_pid = int(endpoint["pid"])
        assert _pid_alive(anvil_pid)
    finally:
        code = _stop(process)
    # Ctrl-C ends the process the conventional way: status 0, or 130 (128 + SIGINT) when uvicorn
    # hands the signal back after its graceful shutdown. Either way, nothing crashed on the way.
    assert code in CLEAN_STOP, log.read_text()[-4000:]
    assert "Traceback" not in log.read_text()
    deadline = time.monotonic() + 30
    while _pid_alive(anvil_pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _pid_alive(anvil_pid), "the managed anvil outlived the server"
    counts = _row_counts(data)

    second_log = tmp_path / "second-run.log"
    again = _start(data, port, second_log)
    try:
        _wait_ready(again, base, second_log)
        assert _verdicts(base) == DEMO_LOTS  # the chain state survived the restart
    finally:
        assert _stop(again) in CLEAN_STOP
    assert _row_counts(data) == counts


def test_make_run_itself_serves_the_demo_on_the_port_it_is_given(tmp_path: Path) -> None:
    """The README's first command, exactly: ``make run`` with HOST and PORT, then Ctrl-C.

    No public base URL is set, so the banner and the QR links must follow the port given.
    """
    anvil_binary()
    data = tmp_path / "data"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "make-run.log"
    env = {**os.environ, "SENTRACE_DATA_DIR": str(data), "SENTRACE_BATCH_MAX_DELAY_S": "1"}
    for name in (
        "SENTRACE_CHAIN_RPC_URL",
        "SENTRACE_DATABASE_URL",
        "SENTRACE_CONTRACT_ADDRESS",
        "SENTRACE_PUBLIC_BASE_URL",
    ):
        env.pop(name, None)
    env["SENTRACE_ENV"] = "development"
    process = subprocess.Popen(
        ["make", "--no-print-directory", "run", "HOST=127.0.0.1", f"PORT={port}"],
        cwd=REPO_ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, as a terminal gives it
    )
    try:
        _wait_ready(process, base, log)
        assert _verdicts(base)["XOAI-2606-01"] == "verified"
        assert f"{base}/app/login" in log.read_text()
        endpoint = json.loads((data / ANVIL_DIR / ANVIL_ENDPOINT_FILE).read_text())
        anvil_pid = int(endpoint["pid"])
    finally:
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches make and the server alike
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            pytest.fail("make run did not stop within a minute of Ctrl-C")
    assert "Traceback" not in log.read_text()
    deadline = time.monotonic() + 30
    while _pid_alive(anvil_pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _pid_alive(anvil_pid), "the managed anvil outlived make run"
