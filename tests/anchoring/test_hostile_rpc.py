"""Anchoring and verification through a node that caps log ranges, as Besu and providers do.

A real anvil sits behind the hostile proxy (tests/support/rpc_proxy.py), which refuses
``eth_getLogs`` over more than 1,000 blocks with Besu's error. The chain has 1,500 blocks before
its registry is deployed, and the server is given the registry by address, so its log queries
start at block 0: one query to ``latest`` is refused, and everything must still confirm and
verify. A reconcile that fails (the node refuses every log query) must not stop the pass after
it, nor the worker's passes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backend.chain import ChainClient, ChainRejected, ManagedAnvil
from backend.hashing import lot_key, to_hex
from backend.models import BatchStatus, ChainActionKind
from backend.runtime import Runtime
from backend.services.anchoring.service import AnchoringService
from backend.services.anchoring.worker import AnchorWorker
from tests.support.anvil import demo_client
from tests.support.app import Actors
from tests.support.custody import hand_over
from tests.support.ledger_flow import actions, anchor_everything, batches, execute, harvest
from tests.support.node_app import app_on_node
from tests.support.node_app import rpc_answer as rpc
from tests.support.rpc_proxy import LogRangeCap, Refuse, RpcProxy

# Several seconds per test on a real node: run with the slow suites (CI runs them too).
pytestmark = pytest.mark.slow

EMPTY_BLOCKS = 1_500
UNKNOWN_TX = "0x" + "ab" * 32


@dataclass
class World:
    runtime: Runtime
    actors: Actors
    http: TestClient
    proxy: RpcProxy
    cap: LogRangeCap
    refuse_logs: Refuse

    @property
    def chain(self) -> ChainClient:
        return self.runtime.require_chain()


@pytest.fixture
def world(tmp_path: Path, anvil_node: ManagedAnvil) -> Iterator[World]:
    rpc(anvil_node.url, "anvil_mine", hex(EMPTY_BLOCKS), hex(1))  # a second apart
    deployer = demo_client(anvil_node)
    address = deployer.deploy_registry()
    cap, refuse_logs = LogRangeCap(1000), Refuse("eth_getLogs", enabled=False)
    with (
        RpcProxy(anvil_node.url, [refuse_logs, cap]) as proxy,
        app_on_node(tmp_path, proxy.url, address) as (runtime, actors),
    ):
        actors.org("dg", "packer")
        yield World(runtime, actors, actors.client, proxy, cap, refuse_logs)


@pytest.mark.anvil
def test_events_confirm_and_verify_through_a_node_that_caps_log_ranges(world: World) -> None:
    assert world.chain.from_block == 0  # given by address: its logs are read from genesis
    whole_chain = rpc(world.proxy.url, "eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest"})
    assert whole_chain["error"]["code"] == -32005  # the harness does refuse an unbounded query
    for code in ("LO-1", "LO-2"):
        harvest(world.actors, code)
        hand_over(world.actors.post, code, "htx", "dg")

    logs_before = world.proxy.count("eth_getLogs")
    anchor_everything(world.runtime)

    assert {b.status for b in batches(world.runtime.engine)} == {BatchStatus.CONFIRMED}
    assert {a.status for a in actions(world.runtime.engine)} == {BatchStatus.CONFIRMED}
    assert world.proxy.count("eth_getLogs") == logs_before  # receipts told where everything is

    # A row whose transaction is rewritten sends verification to the lot's logs: a scan from
    # block 0, past the cap, whose answer must be the chain's transaction, not the row's.
    on_chain = {to_hex(e.event_hash): e.tx_hash for e in world.chain.lot_events(lot_key("LO-1"))}
    assert len(on_chain) == 2
    execute(world.runtime.engine, "UPDATE chainaction SET tx_hash = :t", t=UNKNOWN_TX)
    for code in ("LO-1", "LO-2"):
        body = world.http.get(f"/api/v1/lots/{code}/verification").json()
        assert body["verdict"] == "verified", body
    body = world.http.get("/api/v1/lots/LO-1/verification").json()
    shown = {e["computed_hash"]: e["milestone_tx_hash"] for e in body["events"]}
    assert {h: shown[h] for h in on_chain} == on_chain
    assert world.cap.refused == 1  # only the harness's own query above
    assert world.cap.widest_answered <= 1000
    starts = {first for first, _ in world.cap.queries}
    assert 0 in starts and any(first >= 1000 for first in starts)


@pytest.mark.anvil
def test_a_failing_reconcile_does_not_stop_the_pass_after_it(world: World) -> None:
    harvest(world.actors, "LO-1")
    anchor_everything(world.runtime)
    # The confirmed milestone's transaction is unknown to the node, so reconcile looks for the
    # milestone in the lot's logs, which the node now refuses to give.
    execute(world.runtime.engine, "UPDATE chainaction SET tx_hash = :t", t=UNKNOWN_TX)
    world.refuse_logs.enabled = True
    restarted = AnchoringService(
        engine=world.runtime.engine,
        settings=world.runtime.settings,
        chain=world.runtime.require_chain,
    )
    with pytest.raises(ChainRejected):
        restarted.reconcile()
    harvest(world.actors, "LO-2")

    for _ in range(5):
        restarted.run_once(force=True, wait=True)

    assert [b.status for b in batches(world.runtime.engine)] == [BatchStatus.CONFIRMED] * 2
    assert {a.status for a in actions(world.runtime.engine)} == {BatchStatus.CONFIRMED}

    world.refuse_logs.enabled = False
    restarted.run_once(wait=True)  # the reconcile still owed runs first

    first = next(a for a in actions(world.runtime.engine) if a.kind is ChainActionKind.LOT_EVENT)
    logged = world.chain.lot_events(lot_key("LO-1"))
    assert first.tx_hash == logged[0].tx_hash  # reconcile read it back from the chain's log


def test_the_worker_keeps_passing_while_reconcile_fails() -> None:
    passes = threading.Event()
    counted = {"passes": 0}

    def run_pass() -> bool:
        counted["passes"] += 1
        if counted["passes"] >= 3:
            passes.set()
        return False

    def reconcile() -> None:
        raise ChainRejected("http://node refused the request: block range too large")

    worker = AnchorWorker(run_pass=run_pass, reconcile=reconcile, poll_s=0.01, max_backoff_s=0.02)
    worker.start()
    try:
        assert passes.wait(timeout=10)
    finally:
        worker.stop()

    assert worker.stats.failures == 0
    assert worker.stats.passes >= 3
    assert worker.stats.reconciles == 0
    assert worker.stats.reconcile_failures >= 1
    assert "block range too large" in (worker.stats.last_reconcile_error or "")
