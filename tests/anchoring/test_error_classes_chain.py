"""Error classes end to end: a real anvil behind the hostile proxy refuses or breaks sends.

A temporary refusal (pool full, no ether) keeps a batch and its milestone waiting for as long as
it lasts, with the reason where operators read it, and they confirm once it passes; a permanent
one fails them at once with the node's reason; a transaction mined with status 0 is sent again
at most three times, then fails with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from backend.chain import ManagedAnvil
from backend.models import BatchStatus
from backend.runtime import Runtime
from backend.services.anchoring import backoff
from tests.support.anvil import demo_client
from tests.support.app import Actors
from tests.support.ledger_flow import actions, anchor_everything, batches, harvest
from tests.support.node_app import app_on_node
from tests.support.node_app import rpc_answer as rpc
from tests.support.rpc_proxy import Answer, Forward, Refuse, Request, RpcProxy

# Several seconds per test on a real node: run with the slow suites (CI runs them too).
pytestmark = pytest.mark.slow


class LowGasEstimate:
    """Answers ``eth_estimateGas`` with too little gas while ``enabled``: the transaction is
    accepted and mined, and runs out of gas (status 0)."""

    def __init__(self, gas: int) -> None:
        self.gas = gas
        self.enabled = True

    def __call__(self, request: Request, forward: Forward) -> Answer | None:
        if not self.enabled or request.get("method") != "eth_estimateGas":
            return None
        return {"jsonrpc": "2.0", "id": request.get("id"), "result": hex(self.gas)}


@dataclass
class World:
    runtime: Runtime
    actors: Actors
    node: ManagedAnvil
    proxy: RpcProxy

    def passes(self, count: int) -> None:
        for _ in range(count):
            self.runtime.anchoring.run_once(force=True, wait=True)

    def statuses(self) -> tuple[set[BatchStatus], set[BatchStatus]]:
        engine = self.runtime.engine
        return {b.status for b in batches(engine)}, {a.status for a in actions(engine)}

    def reverted_receipts(self) -> int:
        chain = self.runtime.require_chain()
        head = chain.w3.eth.block_number
        failed = 0
        for number in range(head + 1):
            for tx in chain.w3.eth.get_block(number, full_transactions=True)["transactions"]:
                receipt = chain.w3.eth.get_transaction_receipt(tx["hash"])  # type: ignore[index]
                failed += receipt["status"] == 0
        return failed


@pytest.fixture
def world(
    tmp_path: Path, anvil_node: ManagedAnvil, monkeypatch: pytest.MonkeyPatch
) -> Iterator[World]:
    monkeypatch.setattr(backoff, "BASE_S", 0.0)  # every pass may try again: no test waits
    address = demo_client(anvil_node).deploy_registry()
    with (
        RpcProxy(anvil_node.url) as proxy,
        app_on_node(tmp_path, proxy.url, address) as (runtime, actors),
    ):
        harvest(actors, "LO-1")
        yield World(runtime, actors, anvil_node, proxy)


@pytest.mark.anvil
def test_a_full_pool_keeps_everything_waiting_never_failed_until_it_passes(world: World) -> None:
    refusal = Refuse("eth_sendRawTransaction", code=-32000, message="txpool is full")
    world.proxy.rules.append(refusal)

    world.passes(12)  # more than the ten attempts that used to fail a batch

    (batch,) = batches(world.runtime.engine)
    (action,) = actions(world.runtime.engine)
    assert (batch.status, action.status) == (BatchStatus.PENDING, BatchStatus.PENDING)
    assert batch.attempts >= 12
    for row in (batch, action):
        assert row.last_error is not None
        assert row.last_error.startswith("waiting 0 s to send again (transaction pool full)")

    refusal.enabled = False
    anchor_everything(world.runtime)
    assert world.statuses() == ({BatchStatus.CONFIRMED}, {BatchStatus.CONFIRMED})
    assert batches(world.runtime.engine)[0].last_error is None


@pytest.mark.anvil
def test_an_account_without_ether_waits_says_so_and_resumes_once_funded(world: World) -> None:
    signer = world.runtime.require_chain().signer
    balance = rpc(world.node.url, "eth_getBalance", signer, "latest")["result"]
    rpc(world.node.url, "anvil_setBalance", signer, "0x0")

    world.passes(3)

    (batch,) = batches(world.runtime.engine)
    assert batch.status is BatchStatus.PENDING
    assert "lacks ether" in (batch.last_error or "")
    assert "fund the anchoring account" in (batch.last_error or "")
    assert "insufficient funds" in (batch.last_error or "").lower()

    rpc(world.node.url, "anvil_setBalance", signer, balance)
    anchor_everything(world.runtime)
    assert world.statuses() == ({BatchStatus.CONFIRMED}, {BatchStatus.CONFIRMED})


@pytest.mark.anvil
def test_a_permanent_refusal_fails_at_once_with_the_node_reason(world: World) -> None:
    message = "exceeds block gas limit"
    world.proxy.rules.append(Refuse("eth_sendRawTransaction", code=-32000, message=message))

    world.passes(1)

    assert world.statuses() == ({BatchStatus.FAILED}, {BatchStatus.FAILED})
    for row in (*batches(world.runtime.engine), *actions(world.runtime.engine)):
        assert row.attempts == 1
        assert (row.last_error or "").startswith("failed (permanent, the transaction needs more")
        assert message in (row.last_error or "")


@pytest.mark.anvil
def test_a_transaction_mined_with_status_0_is_sent_again_at_most_three_times(
    world: World,
) -> None:
    world.proxy.rules.append(LowGasEstimate(22_000))

    world.passes(backoff.MAX_REVERTS + 3)

    assert world.statuses() == ({BatchStatus.FAILED}, {BatchStatus.FAILED})
    for row in (*batches(world.runtime.engine), *actions(world.runtime.engine)):
        assert row.last_error is not None
        assert f"revert {backoff.MAX_REVERTS} of at most {backoff.MAX_REVERTS}" in row.last_error
        assert "reverted" in row.last_error and "OutOfGas" in row.last_error  # the reason
    # One batch and one milestone, each mined and reverted three times, never a fourth.
    assert world.reverted_receipts() == 2 * backoff.MAX_REVERTS


@pytest.mark.anvil
def test_a_batch_waits_while_the_anchor_its_heads_root_follows_is_in_the_pool(
    world: World,
) -> None:
    """Batch 2 moves the heads on from batch 1's root: estimated before batch 1 is mined, it
    would read as stale, and a stale recorded heads root fails a batch for good."""
    rpc(world.node.url, "evm_setAutomine", False)
    world.passes(1)  # batch 1 built and sent; it waits in the pool
    harvest(world.actors, "LO-2")

    world.passes(2)

    first, second = batches(world.runtime.engine)
    assert first.status is BatchStatus.SENT
    assert second.prev_heads_root == first.heads_root is not None
    assert (second.status, second.attempts, second.last_error) == (BatchStatus.PENDING, 0, None)

    rpc(world.node.url, "evm_setAutomine", True)
    rpc(world.node.url, "evm_mine")
    anchor_everything(world.runtime)
    assert world.statuses() == ({BatchStatus.CONFIRMED}, {BatchStatus.CONFIRMED})
