"""``sentrace anchor``, ``sentrace reconcile`` and ``sentrace serve`` against a real anvil."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from backend.app import create_app
from backend.chain import ManagedAnvil
from backend.cli import app as cli
from backend.config import get_settings
from backend.runtime import ANVIL_DIR, ANVIL_ENDPOINT_FILE, Runtime
from tests.support.app import ADMIN, Actors, make_settings
from tests.support.server import ServerFactory, sentrace_command, server_env

pytestmark = pytest.mark.anvil


@pytest.fixture
def environment(
    tmp_path: Path, anvil_node: ManagedAnvil, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """SENTRACE_* variables for commands run in this process, against ``anvil_node``."""
    values = {
        "SENTRACE_DATA_DIR": str(tmp_path / "data"),
        "SENTRACE_CHAIN_RPC_URL": anvil_node.url,
        "SENTRACE_WORKER_ENABLED": "false",
        "SENTRACE_BATCH_MAX_DELAY_S": "3600",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield values
    get_settings.cache_clear()


def _record_a_lot(tmp_path: Path, rpc_url: str) -> None:
    settings = make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'data' / 'sentrace.db'}",
                             chain_rpc_url=rpc_url)  # fmt: skip
    runtime = Runtime.create(settings)  # writes need no chain
    try:
        with TestClient(create_app(runtime)) as client:
            actors = Actors(client)
            actors.org("htx", "cooperative")
            actors.post(
                "/api/v1/farms", "htx", {"code": "F-01", "name": "Vườn", "commune": "An Long"}
            )
            actors.post("/api/v1/products", "htx", {"code": "sen", "name_vi": "Hạt sen Tháp Mười"})
            lot = {"code": "SEN-01", "product": "sen", "farm": "F-01", "quantity": "50",
                   "unit": "kg", "harvested_at": "2026-06-01T05:00:00Z"}  # fmt: skip
            actors.post("/api/v1/lots", "htx", lot)
    finally:
        runtime.close()


def test_anchor_flushes_now_and_reconcile_finds_every_root_on_chain(
    tmp_path: Path, environment: dict[str, str]
) -> None:
    _record_a_lot(tmp_path, environment["SENTRACE_CHAIN_RPC_URL"])
    runner = CliRunner()

    anchored = runner.invoke(cli, ["anchor"])
    assert anchored.exit_code == 0, anchored.output
    totals = json.loads(anchored.output[anchored.output.index("{") :])
    # The outbox sent the milestone and, before it, the custodial key of htx (SET_SIGNER).
    assert (totals["built"], totals["confirmed"], totals["outbox_sent"]) == (1, 1, 2)

    reconciled = runner.invoke(cli, ["reconcile"])
    assert reconciled.exit_code == 0, reconciled.output
    report = json.loads(reconciled.output[reconciled.output.index("{") :])["reconcile"]
    assert (report["full"], report["checked"], report["requeued"]) == (True, 1, [])


def test_a_data_folder_that_cannot_be_created_is_named_in_the_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    data_dir = blocker / "data"
    env = server_env(data_dir, chain_rpc_url="memory")

    done = subprocess.run(
        [*sentrace_command(), "serve", "--port", "9"], env=env, capture_output=True, timeout=120
    )

    assert done.returncode == 2
    message = done.stderr.decode()
    assert str(data_dir) in message and "data folder is not writable" in message


def _wait_ready(base_url: str) -> dict[str, object]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            response = httpx.get(f"{base_url}/readyz", timeout=5)
            if response.status_code == 200:
                body: dict[str, object] = response.json()
                return body
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    pytest.fail("server not ready within 90 s")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_serve_runs_a_managed_anvil_and_stops_it_cleanly_keeping_its_state(
    tmp_path: Path, server_factory: ServerFactory
) -> None:
    data_dir = tmp_path / "data"
    env = server_env(data_dir)  # no RPC URL: a managed anvil under the data folder
    endpoint = data_dir / ANVIL_DIR / ANVIL_ENDPOINT_FILE

    first = server_factory(env)
    ready = _wait_ready(first.url)
    anvil_pid = int(json.loads(endpoint.read_text(encoding="utf-8"))["pid"])
    with first.client() as http:
        body = {"slug": "htx", "name": "HTX", "role": "cooperative", "key_custody": "custodial"}
        org = http.post("/api/v1/orgs", headers=ADMIN, json=body).json()
        key = {"Authorization": f"Bearer {org['api_key']}"}
        http.post(
            "/api/v1/farms", headers=key, json={"code": "F", "name": "V", "commune": "Tân Hồng"}
        )
        http.post("/api/v1/products", headers=key, json={"code": "lua", "name_vi": "Lúa gạo"})
        lot = {"code": "LUA-1", "product": "lua", "farm": "F", "quantity": "900", "unit": "kg",
               "harvested_at": "2026-03-01T05:00:00Z"}  # fmt: skip
        assert http.post("/api/v1/lots", headers=key, json=lot).status_code == 201
        deadline = time.monotonic() + 60
        while http.get("/api/v1/lots/LUA-1/verification").json()["verdict"] != "verified":
            assert time.monotonic() < deadline, "lot not verified within 60 s"
            time.sleep(0.2)

    first.stop()  # SIGTERM

    assert not _alive(anvil_pid)
    assert (data_dir / ANVIL_DIR / "anvil-state.json").stat().st_size > 0
    assert not endpoint.exists()
    assert "anchoring worker stopped" in first.log_text()

    second = server_factory(env)
    again = _wait_ready(second.url)
    assert again["contract_address"] == ready["contract_address"]  # remembered, not redeployed
    with second.client() as http:
        assert http.get("/api/v1/lots/LUA-1/verification").json()["verdict"] == "verified"


def test_an_unreachable_database_is_reported_without_a_traceback(tmp_path: Path) -> None:
    env = server_env(
        tmp_path / "data",
        chain_rpc_url="memory",
        database_url="postgresql+psycopg://sentrace:secret-password@127.0.0.1:9/sentrace",
    )

    done = subprocess.run(
        [*sentrace_command(), "anchor"], env=env, capture_output=True, timeout=120
    )

    assert done.returncode == 2
    message = done.stderr.decode()
    assert "cannot reach the database" in message
    assert "Traceback" not in message and "secret-password" not in message
