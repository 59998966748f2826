"""A reorg on a real anvil node drops our transactions; the re-anchor must not get stuck.

anvil, unlike eth-tester, accepts a transaction whose nonce is ahead of the account and keeps
it waiting for the gap to fill. After a reorg our client's nonce counter is ahead, so the
anchoring service must notice its transactions vanished and send with a fresh nonce.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.chain import ManagedAnvil
from backend.hashing import from_hex
from backend.models import BatchStatus
from backend.runtime import Runtime
from tests.support.app import Actors
from tests.support.ledger_flow import actions, anchor_everything, batches, harvest, note
from tests.support.node_app import app_on_node

pytestmark = pytest.mark.anvil


def rpc(node: ManagedAnvil, method: str, *params: Any) -> Any:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    answer = httpx.post(node.url, json=body, timeout=10).json()
    assert "error" not in answer, answer
    return answer["result"]


@pytest.fixture
def live(tmp_path: Path, anvil_node: ManagedAnvil) -> Iterator[tuple[Runtime, Actors]]:
    with app_on_node(tmp_path, anvil_node.url) as live:
        yield live


def test_anchors_dropped_by_a_reorg_are_sent_again_with_a_fresh_nonce(
    live: tuple[Runtime, Actors], anvil_node: ManagedAnvil
) -> None:
    runtime, actors = live
    harvest(actors, "LO-1")
    note(actors, "LO-1", "Trước khi tái tổ chức")
    anchor_everything(runtime)
    (batch,) = batches(runtime.engine)
    assert batch.block_number is not None
    head = int(rpc(anvil_node, "eth_blockNumber"), 16)

    rpc(anvil_node, "anvil_reorg", head - batch.block_number + 1, [])
    chain = runtime.require_chain()
    assert chain.anchor_of(from_hex(batch.root)) is None

    report = runtime.anchoring.reconcile()
    anchor_everything(runtime)  # bounded: fails if a send waits behind a nonce gap

    assert report.requeued == [batch.root]
    assert runtime.require_chain().anchor_of(from_hex(batch.root)) is not None
    assert [b.status for b in batches(runtime.engine)] == [BatchStatus.CONFIRMED]
    assert {a.status for a in actions(runtime.engine)} == {BatchStatus.CONFIRMED}
