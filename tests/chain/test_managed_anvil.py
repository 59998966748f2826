"""ManagedAnvil runs a real anvil process: start, answer, persist state, stop, fail loudly."""

from __future__ import annotations

import json
import logging
import stat
import time
import urllib.request
from pathlib import Path

import pytest

from backend.chain.anvil import ManagedAnvil
from backend.chain.anvil_state import backup_path
from backend.chain.errors import ChainUnavailable
from tests.support.anvil import start_anvil
from tests.support.components import anvil_binary

pytestmark = pytest.mark.anvil


def rpc(url: str, method: str, params: list[object] | None = None) -> object:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(url, data=body.encode(), headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return json.loads(response.read())["result"]


def test_started_node_answers_on_loopback(anvil_node: ManagedAnvil) -> None:
    assert anvil_node.is_running()
    assert anvil_node.url.startswith("http://127.0.0.1:")
    assert rpc(anvil_node.url, "eth_chainId") == hex(31337)


def test_start_is_idempotent_while_running(anvil_node: ManagedAnvil) -> None:
    pid = anvil_node.pid
    anvil_node.start()
    assert anvil_node.pid == pid


def test_custom_chain_id(tmp_path: Path) -> None:
    node = start_anvil(tmp_path, chain_id=84_532)
    try:
        assert rpc(node.url, "eth_chainId") == hex(84_532)
    finally:
        node.stop()


def test_stop_dumps_state_that_the_next_start_loads(tmp_path: Path) -> None:
    node = start_anvil(tmp_path)
    for _ in range(3):
        rpc(node.url, "evm_mine")
    node.stop()
    assert not node.is_running()
    assert node.state_file.exists()

    again = start_anvil(tmp_path)
    try:
        assert int(str(rpc(again.url, "eth_blockNumber")), 16) == 3
    finally:
        again.stop()


def test_killed_node_stops_answering(anvil_node: ManagedAnvil) -> None:
    url = anvil_node.url
    anvil_node.kill()
    assert not anvil_node.is_running()
    with pytest.raises(OSError):
        rpc(url, "eth_chainId")


def test_context_manager_stops_the_node(tmp_path: Path) -> None:
    with ManagedAnvil(tmp_path, binary=anvil_binary()) as node:
        url = node.url
        assert rpc(url, "eth_chainId") == hex(31337)
    assert not node.is_running()


def test_a_dump_torn_by_a_kill_is_replaced_by_the_last_good_copy(tmp_path: Path) -> None:
    node = start_anvil(tmp_path)
    try:
        for _ in range(3):
            rpc(node.url, "evm_mine")
        copy = backup_path(node.state_file)
        deadline = time.monotonic() + 30
        while _best_block(copy) < 3:
            assert time.monotonic() < deadline, "no good copy of the dump within 30 s"
            time.sleep(0.2)
    finally:
        node.kill()
    node.state_file.write_bytes(node.state_file.read_bytes()[:100])  # cut mid-write

    node.start()
    try:
        assert int(str(rpc(node.url, "eth_blockNumber")), 16) == 3
        assert list(tmp_path.glob("anvil-state.torn-*.json")), "the torn dump is kept aside"
    finally:
        node.stop()


def test_a_torn_dump_without_a_good_copy_is_set_aside_and_the_node_starts_empty(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "anvil-state.json").write_text('{"block": {"number": "0x', encoding="utf-8")
    node = ManagedAnvil(tmp_path, binary=anvil_binary())
    with caplog.at_level(logging.ERROR):
        node.start()
    try:
        assert int(str(rpc(node.url, "eth_blockNumber")), 16) == 0
        (torn,) = tmp_path.glob("anvil-state.torn-*.json")
        assert torn.read_text(encoding="utf-8").startswith('{"block"')
        assert "no good copy" in caplog.text
    finally:
        node.stop()


def _best_block(path: Path) -> int:
    """The newest block of a dump as anvil writes it (-1: no complete dump there yet)."""
    try:
        return int(json.loads(path.read_bytes())["best_block_number"])
    except (OSError, ValueError, KeyError):
        return -1


def test_a_binary_that_dies_reports_its_log_tail(tmp_path: Path) -> None:
    fake = tmp_path / "broken-anvil"
    fake.write_text("#!/bin/sh\necho 'cannot open the pod bay doors' >&2\nexit 3\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    node = ManagedAnvil(tmp_path / "data", binary=fake)
    with pytest.raises(ChainUnavailable, match="code 3") as caught:
        node.start()
    assert "cannot open the pod bay doors" in str(caught.value)
