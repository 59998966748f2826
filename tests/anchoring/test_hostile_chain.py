"""Acceptance: 500 events anchor and confirm through a hostile JSON-RPC proxy, exactly once.

A real anvil mines a block a second and already holds 1,500 blocks when the registry is
deployed; the server reaches it only through the hostile proxy (tests/support/rpc_proxy.py),
which caps ``eth_getLogs`` at 1,000 blocks as Besu does, refuses calls at random with Infura's
rate-limit error, drops the answer to some ``eth_sendRawTransaction`` calls after handing them
to the node, and keeps other transactions from the node for a few seconds while answering their
hash. With ``SENTRACE_CONFIRMATIONS=3`` the passes run (as the worker runs them: a failing pass
is retried) until every batch and milestone is confirmed, and then the chain itself is read:

* no event lost: every event sits in a confirmed batch whose root the registry holds;
* no anchor duplicated: one ``BatchAnchored`` log per root, one per batch;
* no milestone duplicated: one ``LotEventRecorded`` log per (lot, event hash);
* no transaction reverted: every transaction the anchoring account sent has status 1.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_typing import ChecksumAddress
from web3 import Web3

from backend.chain import ChainError, ManagedAnvil
from backend.chain.artifacts import registry_artifact
from backend.chain.providers import http_web3
from backend.hashing import from_hex
from backend.models import BatchStatus
from backend.runtime import Runtime
from tests.support.anvil import demo_client, start_anvil
from tests.support.app import Actors
from tests.support.ledger_flow import actions, batches, events, harvest, note
from tests.support.node_app import app_on_node
from tests.support.node_app import rpc_answer as rpc
from tests.support.rpc_proxy import (
    LogRangeCap,
    RandomRateLimit,
    RpcProxy,
    TimeoutAfterForward,
    WithholdFromPool,
)

logger = logging.getLogger(__name__)

EMPTY_BLOCKS = 1_500
LOTS = 100
NOTES_PER_LOT = 4  # with each lot's harvest: 500 events, 100 of them milestones
CONFIRMATIONS = 3
RUN_LIMIT_S = 240.0


@dataclass
class Hostile:
    cap: LogRangeCap
    rate_limit: RandomRateLimit
    withhold: WithholdFromPool
    timeout: TimeoutAfterForward


@dataclass
class World:
    node: ManagedAnvil
    proxy: RpcProxy
    hostile: Hostile
    runtime: Runtime
    actors: Actors
    registry: ChecksumAddress
    deploy_block: int


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    node = start_anvil(tmp_path / "anvil", block_time=1)
    try:
        rpc(node.url, "anvil_mine", hex(EMPTY_BLOCKS), hex(1))
        deployer = demo_client(node)
        registry = deployer.deploy_registry()
        deploy_block = deployer.block_number()
        hostile = Hostile(
            cap=LogRangeCap(1000),
            rate_limit=RandomRateLimit(0.03, seed=22),
            withhold=WithholdFromPool(0.1, delay_s=4.0, seed=22),
            timeout=TimeoutAfterForward(0.1, seed=23),
        )
        hostile.rate_limit.enabled = False  # the server starts first; then the provider limits
        rules = [hostile.rate_limit, hostile.withhold, hostile.timeout, hostile.cap]
        with (
            RpcProxy(node.url, rules) as proxy,
            app_on_node(
                tmp_path, proxy.url, registry, confirmations=CONFIRMATIONS, batch_max_events=50
            ) as (runtime, actors),
        ):
            hostile.rate_limit.enabled = True
            yield World(node, proxy, hostile, runtime, actors, registry, deploy_block)
    finally:
        node.stop()


def _open_rows(runtime: Runtime) -> int:
    engine = runtime.engine
    unconfirmed = [b for b in batches(engine) if b.status is not BatchStatus.CONFIRMED]
    unconfirmed += [a for a in actions(engine) if a.status is not BatchStatus.CONFIRMED]
    return len(unconfirmed) + sum(1 for e in events(engine) if e.batch_id is None)


def _anchor_until_confirmed(runtime: Runtime) -> list[str]:
    """Passes as the worker runs them (a failed pass is tried again) until nothing is open."""
    errors: list[str] = []
    deadline = time.monotonic() + RUN_LIMIT_S
    while _open_rows(runtime):
        failed = [b for b in batches(runtime.engine) if b.status is BatchStatus.FAILED]
        failed += [a for a in actions(runtime.engine) if a.status is BatchStatus.FAILED]
        assert not failed, f"failed rows: {[(r.id, r.last_error) for r in failed]}"
        assert time.monotonic() < deadline, (
            f"still open after {RUN_LIMIT_S:g} s: {_open_rows(runtime)} rows; "
            f"last errors {errors[-5:]}"
        )
        try:
            report = runtime.anchoring.run_once(force=True, wait=True)
        except ChainError as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            time.sleep(0.2)
            continue
        if not report.more_work:
            time.sleep(0.3)
    return errors


def _sent_by(w3: Web3, signer: str, first_block: int) -> list[Any]:
    """Every transaction ``signer`` got mined from ``first_block`` on."""
    sent = []
    for number in range(first_block, w3.eth.block_number + 1):
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            if tx["from"] == signer:  # type: ignore[index]
                sent.append(tx)
    return sent


@pytest.mark.slow
@pytest.mark.anvil
def test_500_events_anchor_and_confirm_exactly_once_through_a_hostile_node(world: World) -> None:
    started = time.monotonic()
    for lot in range(LOTS):
        code = f"LO-{lot:03d}"
        harvest(world.actors, code)
        for n in range(NOTES_PER_LOT):
            note(world.actors, code, f"kiểm tra {n}")
    written = time.monotonic()

    errors = _anchor_until_confirmed(world.runtime)
    done = time.monotonic()
    logger.warning(
        "hostile run: %d events written in %.0f s, confirmed in %.0f s; %d failed passes; "
        "rate limited %s, answers dropped %d, withheld %d, log ranges refused %d",
        LOTS * (1 + NOTES_PER_LOT),
        written - started,
        done - written,
        len(errors),
        dict(world.hostile.rate_limit.limited),
        len(world.hostile.timeout.dropped),
        len(world.hostile.withhold.withheld),
        world.hostile.cap.refused,
    )
    assert world.hostile.withhold.wait_released(timeout=30)

    # The chain as it is, read straight from anvil (no proxy in the way).
    w3 = http_web3(world.node.url)
    registry = w3.eth.contract(address=world.registry, abi=registry_artifact().abi)
    engine = world.runtime.engine
    stored = batches(engine)
    all_events = events(engine)
    assert len(all_events) == LOTS * (1 + NOTES_PER_LOT)

    # No event lost.
    confirmed = {b.id: b for b in stored if b.status is BatchStatus.CONFIRMED}
    assert all(e.batch_id in confirmed for e in all_events)
    client = demo_client(world.node)
    client.attach(world.registry, from_block=world.deploy_block)
    for batch in confirmed.values():
        assert client.anchor_of(from_hex(batch.root)) is not None, batch.root

    # No anchor duplicated.
    anchored = registry.events.BatchAnchored.get_logs(from_block=world.deploy_block)
    per_root = Counter(log["args"]["root"].hex() for log in anchored)
    assert len(per_root) == len(stored)
    assert [root for root, n in per_root.items() if n > 1] == []

    # No milestone duplicated.
    recorded = registry.events.LotEventRecorded.get_logs(from_block=world.deploy_block)
    per_milestone = Counter(
        (log["args"]["lotKey"].hex(), log["args"]["eventHash"].hex()) for log in recorded
    )
    assert len(per_milestone) == LOTS
    assert [key for key, n in per_milestone.items() if n > 1] == []

    # No transaction reverted.
    sent = _sent_by(w3, world.runtime.require_chain().signer, world.deploy_block + 1)
    reverted = [
        tx["hash"].to_0x_hex()
        for tx in sent
        if w3.eth.get_transaction_receipt(tx["hash"])["status"] != 1
    ]
    assert reverted == []
    to_registry = [tx for tx in sent if tx["to"] == world.registry]
    # No signing key registered twice either: one transaction per key the fixture activated.
    signers = registry.events.SignerSet.get_logs(from_block=world.deploy_block)
    assert len({(log["args"]["orgKey"], log["args"]["signer"]) for log in signers}) == len(signers)
    # One anchor per batch, one per milestone, one per signing key.
    assert len(to_registry) == len(stored) + LOTS + len(signers)

    # And the public verification agrees (the provider's rate limit lifted for the reads).
    world.hostile.rate_limit.enabled = False
    for code in ("LO-000", "LO-050", "LO-099"):
        body = world.actors.client.get(f"/api/v1/lots/{code}/verification").json()
        assert body["verdict"] == "verified", body

    # The harness did get in the way.
    assert world.hostile.timeout.dropped and world.hostile.withhold.withheld
    assert sum(world.hostile.rate_limit.limited.values()) > 0
    assert time.monotonic() - started < 300
