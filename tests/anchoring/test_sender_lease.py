"""The fenced sender: one lease row, a token that grows on every acquisition, and every send
record written under a check of that token (SQLite and PostgreSQL, in-process chain).

The advisory lock (or file lock) of ``pass_lock`` can be lost without its holder noticing; the
lease cannot: a pass whose lease was taken over must not send anything after that moment.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import pytest
from eth_account import Account
from sqlmodel import Session, select

from backend.chain import ChainClient, ChainUnavailable
from backend.config import DEMO_ANCHOR_PRIVATE_KEY
from backend.hashing import lot_key
from backend.models import BatchStatus, SentTx
from backend.runtime import Runtime
from backend.services.anchoring.lease import (
    DeployFence,
    LeaseLost,
    acquire,
    fence,
    release,
    renew,
)
from backend.services.anchoring.service import AnchoringService
from tests.support.app import Actors
from tests.support.ledger_flow import actions, anchor_everything, batches, harvest


def sent_txs(runtime: Runtime) -> list[SentTx]:
    with Session(runtime.engine) as session:
        return list(session.exec(select(SentTx).order_by(SentTx.id)).all())  # type: ignore[arg-type]


def test_one_holder_at_a_time_and_the_token_grows_on_every_acquisition(runtime: Runtime) -> None:
    engine = runtime.engine
    first = acquire(engine, "a", 60)
    assert first is not None
    assert acquire(engine, "b", 60) is None  # live, and not b's
    release(engine, first)
    second = acquire(engine, "b", 60)
    assert second is not None and second.token == first.token + 1
    with pytest.raises(LeaseLost):
        renew(engine, first)  # released, then acquired by b: a's token is stale
    renew(engine, second)
    release(engine, second)


def test_an_expired_lease_is_taken_over_and_its_old_holder_records_nothing(
    runtime: Runtime,
) -> None:
    engine = runtime.engine
    stalled = acquire(engine, "stalled", 0.05)
    assert stalled is not None
    time.sleep(0.1)  # the holder stalls (a GC pause, a dropped connection) past its expiry
    taker = acquire(engine, "taker", 60)
    assert taker is not None and taker.token == stalled.token + 1

    record = SentTx(
        chain_id=1, signer="0x" + "00" * 20, nonce=0, tx_hash="0x" + "11" * 32, raw=b"\x01",
        lease_token=stalled.token,
    )  # fmt: skip
    with Session(engine) as session, pytest.raises(LeaseLost):
        fence(session, stalled)
        session.add(record)
        session.commit()
    assert sent_txs(runtime) == []  # the fence and the record are one transaction
    release(engine, taker)


def test_a_pass_under_the_sender_lock_takes_over_a_crashed_holders_live_lease(
    runtime: Runtime,
) -> None:
    engine = runtime.engine
    crashed = acquire(engine, "killed process", 600)  # died holding it, ten minutes to go
    assert crashed is not None
    assert acquire(engine, "restarted process", 60) is None  # without the lock: wait
    restarted = acquire(engine, "restarted process", 60, take_over=True)
    assert restarted is not None and restarted.token == crashed.token + 1
    with pytest.raises(LeaseLost):
        renew(engine, crashed)  # were it alive after all, it could record no send
    release(engine, restarted)


def test_contending_holders_never_share_a_token(runtime: Runtime) -> None:
    engine = runtime.engine
    tokens: list[int] = []
    errors: list[BaseException] = []

    def contend(name: str) -> None:
        try:
            for _ in range(15):
                lease = acquire(engine, name, 60)
                if lease is not None:
                    tokens.append(lease.token)
                    renew(engine, lease)
                    release(engine, lease)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=contend, args=(f"t{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert tokens and len(tokens) == len(set(tokens))


def test_a_pass_whose_lease_is_taken_over_mid_pass_sends_nothing_more(
    runtime: Runtime, supply_chain: Actors
) -> None:
    for code in ("LO-1", "LO-2", "LO-3"):
        harvest(supply_chain, code)
    earlier = len(sent_txs(runtime))  # the organisations' signing keys, recorded on chain
    chain = runtime.require_chain()
    settings = runtime.settings.model_copy(update={"sender_lease_s": 0.2})
    stalling = AnchoringService(engine=runtime.engine, settings=settings, chain=lambda: chain)
    sent: list[bytes] = []
    intruder: list[Any] = []
    real_broadcast = chain.broadcast

    def broadcast_then_stall(raw: bytes) -> Any:
        outcome = real_broadcast(raw)
        sent.append(raw)
        if not intruder:
            time.sleep(0.3)  # the pass stalls past its lease; another sender takes over
            intruder.append(acquire(runtime.engine, "other process", 60))
        return outcome

    chain.broadcast = broadcast_then_stall  # type: ignore[method-assign]
    try:
        stalling.run_once(force=True, wait=True)
    finally:
        del chain.broadcast

    assert intruder and intruder[0] is not None, "the lease was taken over"
    assert len(sent) == 1  # nothing after the takeover
    (record,) = sent_txs(runtime)[earlier:]
    assert record.lease_token < intruder[0].token

    release(runtime.engine, intruder[0])
    anchor_everything(runtime)
    assert {b.status for b in batches(runtime.engine)} == {BatchStatus.CONFIRMED}
    assert {a.status for a in actions(runtime.engine)} == {BatchStatus.CONFIRMED}
    nonces = Counter(r.nonce for r in sent_txs(runtime))
    assert set(nonces.values()) == {1}  # one transaction per nonce: no resend of any kind
    for code in ("LO-1", "LO-2", "LO-3"):
        assert len(chain.lot_events(lot_key(code))) == 1


def test_a_deployment_waits_for_the_lease(runtime: Runtime) -> None:
    memory_client = ChainClient.in_memory(Account.from_key(DEMO_ANCHOR_PRIVATE_KEY))
    holder = acquire(runtime.engine, "sending pass", 60)
    assert holder is not None
    fence_ = DeployFence(runtime.engine, 60)
    memory_client.fence = fence_
    try:
        with pytest.raises(ChainUnavailable, match="sender lease"):
            memory_client.deploy_registry()
        release(runtime.engine, holder)
        address = memory_client.deploy_registry()
    finally:
        memory_client.fence = None
        fence_.release()
    assert address == memory_client.contract_address
    taken = acquire(runtime.engine, "next pass", 60)
    assert taken is not None and taken.token == holder.token + 2  # the deployment held one
