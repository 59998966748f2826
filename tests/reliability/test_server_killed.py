"""The server process is SIGKILLed in the middle of anchoring a batch, then started again.

The JSON-RPC relay stops the worker at three exact points of one batch's life, where the
server is killed:

* the batch is stored (``pending``) and its ``anchorBatch`` transaction never left;
* the transaction reached the node and was mined, but the answer never came back (the
  database still says ``pending`` while the chain already holds the root);
* the send was recorded (``sent``, with its hash) and nothing confirmed it yet.

After the restart the batch must be completed exactly once: one ``anchorBatch`` for its root
on the wire, one anchor on chain, every accepted event ``verified``.
"""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from backend.models import BatchStatus
from tests.reliability.live import (
    ANCHOR_SELECTOR,
    LiveLedger,
    all_batches,
    anchor_call,
    assert_anchored_exactly_once,
    everything_confirmed,
    registry_client,
    wait_for,
)
from tests.reliability.rpc_proxy import RpcProxy
from tests.support.killable import KillableStack

pytestmark = [pytest.mark.slow, pytest.mark.anvil, pytest.mark.postgres]

SEND = "eth_sendRawTransaction"


@pytest.mark.parametrize(
    ("mode", "status_at_crash"),
    [
        pytest.param("before", BatchStatus.PENDING, id="stored-not-sent"),
        pytest.param("answer_withheld", BatchStatus.PENDING, id="mined-not-recorded"),
        pytest.param("after", BatchStatus.SENT, id="sent-not-confirmed"),
    ],
)
def test_a_batch_interrupted_by_a_crash_is_completed_exactly_once(
    postgres_url: str,
    engine: Engine,
    killable: KillableStack,
    rpc_proxy: RpcProxy,
    mode: str,
    status_at_crash: BatchStatus,
) -> None:
    killable.start_server(database_url=postgres_url, chain_rpc_url=rpc_proxy.url)
    with killable.server.client() as http:
        ledger = LiveLedger(http).setup()
        hold = rpc_proxy.arm(SEND, mode=mode, needle=ANCHOR_SELECTOR)
        ledger.harvest("LOT-K")
        for i in range(4):
            ledger.note("LOT-K", f"trước sự cố {i}")
        hold.wait_caught()
        [batch] = all_batches(engine)
        assert batch.status is status_at_crash
        tx_before_crash = batch.tx_hash

    killable.kill_server()
    hold.release(forward=False)  # the process that asked is gone; hang up on it
    on_wire_before_restart = rpc_proxy.delivered(SEND, anchor_call(batch.root))
    assert on_wire_before_restart == (0 if mode == "before" else 1)

    killable.restart_server()
    with killable.server.client() as http:
        ledger.http = http
        ledger.note("LOT-K", "sau khi khởi động lại")
        wait_for(
            lambda: everything_confirmed(engine, ledger.accepted),
            timeout=90,
            what="every accepted event in a confirmed batch",
        )
        chain = registry_client(killable.anvil, ledger.contract_address())
        assert_anchored_exactly_once(engine, chain, ledger.accepted)
        assert rpc_proxy.delivered(SEND, anchor_call(batch.root)) == 1
        [completed] = [b for b in all_batches(engine) if b.id == batch.id]
        if mode == "after":
            assert completed.tx_hash == tx_before_crash  # confirmed, not sent again
        assert ledger.verdict("LOT-K")["verdict"] == "verified"
