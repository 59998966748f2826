"""Confirmation by the finality policy, and reconcile's look-back to the last final block.

On real anvil nodes: the server's own managed anvil (automining: no block comes unless a
transaction does) confirms with ``SENTRACE_CONFIRMATIONS=3`` because it is mined for; a node
the server does not own is never mined on, and under ``SENTRACE_FINALITY=finalized`` a batch
waits until the node's finalized block passes it, or counts depth through a node that does not
answer the tag. Reconcile keeps the last final block it saw (number and hash) and after a
restart looks back only that far, unless that block changed: then, however deep the reorg,
everything is checked and the vanished batch is anchored again.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from backend.app import create_app
from backend.chain import ManagedAnvil
from backend.hashing import from_hex
from backend.models import BatchStatus, ChainCheckpoint
from backend.runtime import Runtime
from backend.services.anchoring.checkpoint import look_back
from backend.services.anchoring.service import AnchoringService
from backend.services.verification.chain_view import AnchorState
from tests.support.app import Actors, make_settings
from tests.support.components import anvil_binary
from tests.support.ledger_flow import (
    actions,
    activate_keys,
    anchor_everything,
    batches,
    harvest,
    note,
)
from tests.support.rpc_proxy import Answer, Forward, Request, RpcProxy, error_answer

pytestmark = pytest.mark.anvil


def rpc(url: str, method: str, *params: Any) -> Any:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    answer = httpx.post(url, json=body, timeout=10).json()
    assert "error" not in answer, answer
    return answer["result"]


def head(url: str) -> int:
    return int(rpc(url, "eth_blockNumber"), 16)


def refuse_block_tags(request: Request, _forward: Forward) -> Answer | None:
    params = request.get("params") or []
    if request.get("method") == "eth_getBlockByNumber" and params[:1] in (["finalized"], ["safe"]):
        return error_answer(request, -39001, "finalized block not found")
    return None


def open_ledger(tmp_path: Path, **overrides: Any) -> tuple[Runtime, TestClient, Actors]:
    settings = make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'ledger.db'}", **overrides)
    runtime = Runtime.start(settings, start_worker=False)
    http = TestClient(create_app(runtime))
    http.__enter__()
    actors = Actors(http)
    actors.org("htx", "cooperative")
    actors.post("/api/v1/farms", "htx", {"code": "F-01", "name": "V", "commune": "Tân Hộ Cơ"})
    actors.post("/api/v1/products", "htx", {"code": "xoai", "name_vi": "Xoài"})
    activate_key(runtime, overrides.get("chain_rpc_url"))
    return runtime, http, actors


def activate_key(runtime: Runtime, node_url: str | None) -> None:
    """Record htx's signing key on chain before the test, so its events are batched at once.
    The server mines its own anvil; a node it does not own is mined for here, 64 blocks (past
    anvil's finalized block), so the key's transaction is final under every policy tested."""
    if node_url is None:
        activate_keys(runtime)
        return
    runtime.anchoring.run_once(wait=True)
    rpc(node_url, "anvil_mine", hex(64))
    activate_keys(runtime)


@pytest.fixture
def ledger_on(tmp_path: Path) -> Iterator[Any]:
    """Opens a ledger (runtime, client, actors) with the given settings; closes it after."""
    opened: list[tuple[Runtime, TestClient]] = []

    def open_(**overrides: Any) -> tuple[Runtime, TestClient, Actors]:
        runtime, http, actors = open_ledger(tmp_path, **overrides)
        opened.append((runtime, http))
        return runtime, http, actors

    yield open_
    for runtime, http in reversed(opened):
        http.__exit__(None, None, None)
        runtime.close()


def test_the_managed_anvil_is_mined_for_three_confirmations(ledger_on: Any) -> None:
    anvil_binary()  # the server starts its own anvil from node_modules
    runtime, http, actors = ledger_on(chain_rpc_url=None, confirmations=3)
    assert runtime.anvil is not None
    harvest(actors, "LO-1")
    note(actors, "LO-1", "ba xác nhận")

    anchor_everything(runtime, passes=6)

    top = head(runtime.anvil.url)
    assert [b.status for b in batches(runtime.engine)] == [BatchStatus.CONFIRMED]
    confirmed = [*batches(runtime.engine), *actions(runtime.engine)]
    assert all(
        row.block_number is not None and top - row.block_number + 1 >= 3 for row in confirmed
    )
    assert {a.status for a in actions(runtime.engine)} == {BatchStatus.CONFIRMED}
    assert http.get("/api/v1/lots/LO-1/verification").json()["verdict"] == "verified"


def test_a_node_it_does_not_own_is_waited_for_not_mined(
    ledger_on: Any, anvil_node: ManagedAnvil
) -> None:
    runtime, _, actors = ledger_on(chain_rpc_url=anvil_node.url, confirmations=3)
    harvest(actors, "LO-1")
    for _ in range(3):
        runtime.anchoring.run_once(force=True, wait=True)
    assert {b.status for b in batches(runtime.engine)} == {BatchStatus.SENT}
    rpc(anvil_node.url, "anvil_mine", hex(2))
    runtime.anchoring.run_once(wait=True)
    assert {b.status for b in batches(runtime.engine)} == {BatchStatus.CONFIRMED}


def test_finalized_waits_for_the_nodes_finalized_block(
    ledger_on: Any, anvil_node: ManagedAnvil
) -> None:
    runtime, _, actors = ledger_on(chain_rpc_url=anvil_node.url, finality="finalized")
    harvest(actors, "LO-1")
    runtime.anchoring.run_once(force=True, wait=True)
    runtime.anchoring.run_once(wait=True)
    (batch,) = batches(runtime.engine)
    assert batch.status is BatchStatus.SENT and batch.block_number is not None

    # anvil's finalized block trails its head by 64: one block short of the anchor's
    rpc(anvil_node.url, "anvil_mine", hex(batch.block_number + 63 - head(anvil_node.url)))
    runtime.anchoring.run_once(wait=True)
    assert batches(runtime.engine)[0].status is BatchStatus.SENT
    assert reader_sees(runtime, batch.root) is AnchorState.SHALLOW  # verification agrees
    rpc(anvil_node.url, "anvil_mine", hex(1))
    runtime.anchoring.run_once(wait=True)
    assert batches(runtime.engine)[0].status is BatchStatus.CONFIRMED
    assert reader_sees(runtime, batch.root) is AnchorState.FINAL


def reader_sees(runtime: Runtime, root: str) -> AnchorState:
    """How the server's verification (its chain view) sees ``root`` now."""
    return runtime.chain_view().anchor(root).state


@pytest.mark.slow  # mines blocks on anvil until the anchor is deep enough
def test_finalized_through_a_node_without_the_tag_counts_depth(
    ledger_on: Any, anvil_node: ManagedAnvil
) -> None:
    with RpcProxy(anvil_node.url, [refuse_block_tags]) as proxy:
        runtime, _, actors = ledger_on(
            chain_rpc_url=proxy.url, finality="finalized", confirmations=3
        )
        harvest(actors, "LO-1")
        runtime.anchoring.run_once(force=True, wait=True)
        (batch,) = batches(runtime.engine)
        receipt = rpc(anvil_node.url, "eth_getTransactionReceipt", batch.tx_hash)
        two_deep = int(receipt["blockNumber"], 16) + 1
        rpc(anvil_node.url, "anvil_mine", hex(two_deep - head(anvil_node.url)))
        runtime.anchoring.run_once(wait=True)
        assert {b.status for b in batches(runtime.engine)} == {BatchStatus.SENT}
        rpc(anvil_node.url, "anvil_mine", hex(1))
        runtime.anchoring.run_once(wait=True)
        assert {b.status for b in batches(runtime.engine)} == {BatchStatus.CONFIRMED}


def checkpoint_of(runtime: Runtime) -> ChainCheckpoint | None:
    with Session(runtime.engine) as session:
        return session.get(ChainCheckpoint, runtime.require_chain().chain_id)


def restarted(runtime: Runtime) -> AnchoringService:
    """A fresh anchoring service on the same database and chain: a process after a restart."""
    return AnchoringService(
        engine=runtime.engine, settings=runtime.settings, chain=runtime.require_chain
    )


def test_after_a_restart_reconcile_looks_back_to_the_last_final_block(
    ledger_on: Any, anvil_node: ManagedAnvil
) -> None:
    runtime, _, actors = ledger_on(chain_rpc_url=anvil_node.url)
    harvest(actors, "LO-1")
    anchor_everything(runtime)
    runtime.anchoring.reconcile(full=False)
    saved = checkpoint_of(runtime)  # the first pass of the process reconciled in full
    assert saved is not None
    assert saved.block_number == head(anvil_node.url)  # depth 1: the head is final

    rpc(anvil_node.url, "anvil_mine", hex(300))  # more than the old fixed look-back of 256
    assert look_back(runtime.engine, runtime.require_chain()) == saved.block_number
    again = restarted(runtime).reconcile(full=False)
    assert (again.full, again.since_block, again.checked) == (False, saved.block_number, 0)
    moved = checkpoint_of(runtime)
    assert moved is not None and moved.block_number == head(anvil_node.url)


def test_a_reorg_below_the_last_final_block_is_found_however_deep(
    ledger_on: Any, anvil_node: ManagedAnvil
) -> None:
    runtime, _, actors = ledger_on(chain_rpc_url=anvil_node.url)
    harvest(actors, "LO-1")
    anchor_everything(runtime)
    (batch,) = batches(runtime.engine)
    assert batch.block_number is not None
    rpc(anvil_node.url, "anvil_mine", hex(300))
    runtime.anchoring.reconcile(full=False)  # the checkpoint: 300 blocks above the anchor

    depth = head(anvil_node.url) - batch.block_number + 1
    rpc(anvil_node.url, "anvil_reorg", depth, [])  # deeper than 256, below the checkpoint
    chain = runtime.require_chain()
    assert chain.anchor_of(from_hex(batch.root)) is None
    assert look_back(runtime.engine, chain) is None  # the checkpoint's block changed

    report = restarted(runtime).reconcile(full=False)
    assert report.full and report.requeued == [batch.root]
    anchor_everything(runtime)
    assert chain.anchor_of(from_hex(batch.root)) is not None
    assert [b.status for b in batches(runtime.engine)] == [BatchStatus.CONFIRMED]
