"""Sign, store, broadcast, against a real anvil behind the hostile proxy: nothing is sent twice.

Each case ends by reading the registry's logs straight from anvil: one ``BatchAnchored`` per
root, one ``LotEventRecorded`` per milestone, whatever happened on the way:

* the node accepts a transaction and the answer is lost (the connection drops);
* the process dies between storing a transaction and broadcasting it;
* a transaction waits in the pool (anvil mines nothing) past ``SENTRACE_TX_REPLACE_AFTER_S``:
  it is replaced at its nonce with both fees raised by at least 12.5%;
* another transaction of the same key takes a milestone's nonce: only then does the milestone
  get a new nonce, once.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from sqlmodel import Session, col, select
from web3.contract import Contract

from backend.chain import ChainError, ManagedAnvil
from backend.chain.artifacts import registry_artifact
from backend.chain.providers import http_web3
from backend.chain.sender import ChainSender
from backend.chain.tx_records import Fees, sign
from backend.config import DEMO_ANCHOR_PRIVATE_KEY
from backend.models import BatchStatus, SentTx
from backend.runtime import Runtime
from backend.services.anchoring.service import AnchoringService
from tests.support.anvil import demo_client
from tests.support.app import Actors
from tests.support.ledger_flow import actions, batches, execute, harvest
from tests.support.node_app import app_on_node, rpc
from tests.support.rpc_proxy import RpcProxy, TimeoutAfterForward

# Several seconds per test on a real node: run with the slow suites (CI runs them too).
pytestmark = pytest.mark.slow

#: Long enough for two passes against anvil (about 1.5 s each on a busy 2-core machine).
REPLACE_AFTER_S = 6.0


@dataclass
class World:
    node: ManagedAnvil
    proxy: RpcProxy
    runtime: Runtime
    actors: Actors
    registry: Contract  # read straight from anvil, no proxy in the way

    def anchors_per_root(self) -> Counter[str]:
        logs = self.registry.events.BatchAnchored.get_logs(from_block=0)
        return Counter("0x" + log["args"]["root"].hex() for log in logs)

    def milestones(self) -> Counter[tuple[str, str]]:
        logs = self.registry.events.LotEventRecorded.get_logs(from_block=0)
        return Counter(
            (log["args"]["lotKey"].hex(), log["args"]["eventHash"].hex()) for log in logs
        )

    def sent(self) -> list[SentTx]:
        """The stored sends of batches and milestones: htx's signing key was recorded on chain
        (its own transaction) before the test began, and is no part of what these tests send."""
        ours = {a.id for a in actions(self.runtime.engine)}
        with Session(self.runtime.engine) as session:
            rows = session.exec(select(SentTx).order_by(col(SentTx.id))).all()
        return [r for r in rows if r.batch_id is not None or r.action_id in ours]

    def receipt(self, tx_hash: str) -> Any:
        return rpc(self.node.url, "eth_getTransactionReceipt", tx_hash)

    def passes(self, service: AnchoringService | None = None, *, limit: int = 30) -> list[str]:
        """Passes as the worker runs them (a failing one is tried again) until all confirm."""
        service = service or self.runtime.anchoring
        errors: list[str] = []
        for _ in range(limit):
            try:
                service.run_once(force=True, wait=True)
            except ChainError as exc:
                errors.append(str(exc))
                continue
            engine = self.runtime.engine
            rows = [*batches(engine), *actions(engine)]
            if rows and all(r.status is BatchStatus.CONFIRMED for r in rows):
                return errors
        raise AssertionError(f"still open: {batches(engine)} {actions(engine)}; {errors}")

    def assert_each_once_on_chain(self) -> None:
        engine = self.runtime.engine
        assert self.anchors_per_root() == Counter(b.root.lower() for b in batches(engine))
        assert set(self.milestones().values()) == {1}
        assert len(self.milestones()) == len(actions(engine))


@pytest.fixture
def world(tmp_path: Path, anvil_node: ManagedAnvil) -> Iterator[World]:
    address = demo_client(anvil_node).deploy_registry()
    registry = http_web3(anvil_node.url).eth.contract(address=address, abi=registry_artifact().abi)
    with (
        RpcProxy(anvil_node.url) as proxy,
        app_on_node(tmp_path, proxy.url, address, tx_replace_after_s=REPLACE_AFTER_S) as (
            runtime,
            actors,
        ),
    ):
        yield World(anvil_node, proxy, runtime, actors, registry)


@pytest.mark.anvil
def test_a_send_whose_answer_is_lost_after_the_node_took_it_is_not_sent_again(
    world: World,
) -> None:
    lost_answers = TimeoutAfterForward(1.0)  # every send reaches the node, no answer returns
    world.proxy.rules.append(lost_answers)
    harvest(world.actors, "LO-1")

    errors = world.passes()

    assert errors, "the lost answers did fail passes"
    sent = world.sent()
    assert len(sent) == 2  # the anchor and the milestone, each signed once
    assert sorted(lost_answers.dropped) == sorted(r.tx_hash for r in sent)
    assert all(world.receipt(r.tx_hash)["status"] == "0x1" for r in sent)
    world.assert_each_once_on_chain()


class Crash(BaseException):
    """The process dies (not an error any layer handles)."""


@pytest.mark.anvil
def test_a_crash_between_storing_and_broadcasting_sends_the_stored_bytes(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    harvest(world.actors, "LO-1")

    def die(self: ChainSender, raw: bytes) -> Any:
        raise Crash

    with monkeypatch.context() as patch:
        patch.setattr(ChainSender, "broadcast", die)
        with pytest.raises(Crash):
            world.runtime.anchoring.run_once(force=True, wait=True)

    (stored,) = world.sent()
    assert stored.batch_id is not None
    assert rpc(world.node.url, "eth_getTransactionByHash", stored.tx_hash) is None  # never sent

    runtime = world.runtime
    restarted = AnchoringService(
        engine=runtime.engine, settings=runtime.settings, chain=runtime.require_chain
    )
    world.passes(restarted)

    anchor = [r for r in world.sent() if r.batch_id is not None]
    assert [r.tx_hash for r in anchor] == [stored.tx_hash]  # the same bytes, not a new one
    assert batches(world.runtime.engine)[0].tx_hash == stored.tx_hash
    assert world.receipt(stored.tx_hash)["status"] == "0x1"
    world.assert_each_once_on_chain()


@pytest.mark.anvil
def test_a_stuck_transaction_is_replaced_at_its_nonce_with_fees_raised_an_eighth(
    world: World,
) -> None:
    rpc(world.node.url, "evm_setAutomine", False)  # the pool holds everything, nothing mined
    harvest(world.actors, "LO-1")
    world.runtime.anchoring.run_once(force=True, wait=True)
    stored = time.monotonic()  # both transactions stored by now
    first = world.sent()
    assert len(first) == 2 and all(world.receipt(r.tx_hash) is None for r in first)

    world.runtime.anchoring.run_once(wait=True)  # not waited long enough: no replacement
    assert len(world.sent()) == 2
    assert time.monotonic() - stored < REPLACE_AFTER_S, "passes too slow for this test"
    time.sleep(max(0.0, REPLACE_AFTER_S + 0.2 - (time.monotonic() - stored)))
    world.runtime.anchoring.run_once(wait=True)

    sent = world.sent()
    assert len(sent) == 4
    for original in first:
        owner = (original.batch_id, original.action_id)
        (replacement,) = [
            r for r in sent if (r.batch_id, r.action_id) == owner and r.id != original.id
        ]
        assert replacement.nonce == original.nonce
        assert replacement.max_fee_per_gas and original.max_fee_per_gas
        assert replacement.max_priority_fee_per_gas and original.max_priority_fee_per_gas
        assert replacement.max_fee_per_gas * 8 >= original.max_fee_per_gas * 9
        assert replacement.max_priority_fee_per_gas * 8 >= original.max_priority_fee_per_gas * 9

    rpc(world.node.url, "evm_mine")
    rpc(world.node.url, "evm_setAutomine", True)
    world.passes()

    mined = [r for r in sent if world.receipt(r.tx_hash) is not None]
    assert sorted(r.nonce for r in mined) == sorted(r.nonce for r in first)  # one per nonce
    assert {r.tx_hash for r in mined}.isdisjoint(r.tx_hash for r in first)  # the replacements
    assert batches(world.runtime.engine)[0].tx_hash in {r.tx_hash for r in mined}
    assert actions(world.runtime.engine)[0].tx_hash in {r.tx_hash for r in mined}
    world.assert_each_once_on_chain()


@pytest.mark.anvil
def test_a_milestone_gets_a_new_nonce_only_once_another_transaction_used_its_own(
    world: World,
) -> None:
    rpc(world.node.url, "evm_setAutomine", False)
    harvest(world.actors, "LO-1")
    world.runtime.anchoring.run_once(force=True, wait=True)
    (milestone,) = [r for r in world.sent() if r.action_id is not None]

    # The same key signs something else at the milestone's nonce, paying more: it wins.
    chain = world.runtime.require_chain()
    account = Account.from_key(DEMO_ANCHOR_PRIVATE_KEY)
    fields = {"to": account.address, "value": 0, "gas": 21_000, "data": b""}
    tip = 10 * (milestone.max_priority_fee_per_gas or 1)
    fees = Fees(max_fee_per_gas=10 * (milestone.max_fee_per_gas or 1), max_priority_fee_per_gas=tip)
    other = sign(account, {**fields, "nonce": milestone.nonce, "chainId": chain.chain_id}, fees)
    rpc(world.node.url, "eth_sendRawTransaction", "0x" + other.raw.hex())
    rpc(world.node.url, "evm_mine")
    rpc(world.node.url, "evm_setAutomine", True)
    assert world.receipt(milestone.tx_hash) is None

    world.passes()

    attempts = [r for r in world.sent() if r.action_id == milestone.action_id]
    assert [r.nonce for r in attempts] == [milestone.nonce, attempts[-1].nonce]
    assert attempts[-1].nonce > milestone.nonce
    assert world.receipt(attempts[-1].tx_hash)["status"] == "0x1"
    world.assert_each_once_on_chain()


@pytest.mark.anvil
def test_a_nonce_gap_nothing_of_ours_fills_is_filled_so_later_transactions_are_mined(
    world: World,
) -> None:
    rpc(world.node.url, "evm_setAutomine", False)
    harvest(world.actors, "LO-1")
    world.runtime.anchoring.run_once(force=True, wait=True)
    anchor = next(r for r in world.sent() if r.batch_id is not None)
    milestone = next(r for r in world.sent() if r.action_id is not None)
    assert milestone.nonce == anchor.nonce + 1
    # The anchor leaves the pool and its batch is given up (an operator, a permanent error):
    # nothing of ours will use its nonce again, and the milestone waits behind the gap.
    rpc(world.node.url, "anvil_dropTransaction", anchor.tx_hash)
    execute(world.runtime.engine, "UPDATE batch SET status = 'failed'")
    rpc(world.node.url, "evm_setAutomine", True)

    world.runtime.anchoring.run_once(wait=True)  # the gap seen once: maybe a lagging read
    assert world.receipt(milestone.tx_hash) is None
    world.runtime.anchoring.run_once(wait=True)  # seen twice: filled
    rpc(world.node.url, "evm_mine")
    world.runtime.anchoring.run_once(wait=True)

    (action,) = actions(world.runtime.engine)
    assert action.status is BatchStatus.CONFIRMED
    assert action.tx_hash == milestone.tx_hash  # the same bytes, once the gap was filled
    chain = world.runtime.require_chain()
    assert chain.account_nonce("latest") == milestone.nonce + 1
    assert world.receipt(anchor.tx_hash) is None
    assert set(world.milestones().values()) == {1}
    assert world.anchors_per_root() == Counter()
