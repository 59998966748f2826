"""The chain node dies (SIGKILL) while the worker is sending a batch, and comes back.

A server on PostgreSQL anchors through a relay to anvil. The relay stops the first
``anchorBatch`` transaction at an exact point, anvil is killed there, more events arrive
while it is down, and anvil restarts on its last state dump (which may or may not hold the
transaction: both are legal after a crash). Every accepted event must end ``verified``, in
exactly one confirmed batch, with every root anchored once.
"""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from backend.models import BatchStatus
from tests.reliability.live import (
    ANCHOR_SELECTOR,
    LiveLedger,
    all_batches,
    assert_anchored_exactly_once,
    everything_confirmed,
    registry_client,
    state_file_holds,
    wait_for,
)
from tests.reliability.rpc_proxy import RpcProxy
from tests.support.killable import KillableStack

pytestmark = [pytest.mark.slow, pytest.mark.anvil, pytest.mark.postgres]


@pytest.mark.parametrize(
    ("mode", "forward"),
    [
        pytest.param("before", True, id="killed-before-the-transaction-arrives"),
        pytest.param("answer_withheld", False, id="killed-after-mining-before-the-answer"),
    ],
)
def test_every_event_is_anchored_once_when_the_node_dies_mid_send(
    postgres_url: str,
    engine: Engine,
    killable: KillableStack,
    rpc_proxy: RpcProxy,
    mode: str,
    forward: bool,
) -> None:
    killable.start_server(database_url=postgres_url, chain_rpc_url=rpc_proxy.url)
    with killable.server.client() as http:
        ledger = LiveLedger(http).setup()
        address = ledger.contract_address()
        wait_for(lambda: state_file_holds(killable.anvil, address), what="registry in anvil's dump")

        hold = rpc_proxy.arm("eth_sendRawTransaction", mode=mode, needle=ANCHOR_SELECTOR)
        ledger.harvest("LOT-A")
        for i in range(5):
            ledger.note("LOT-A", f"ghi chú {i}")
        hold.wait_caught()
        assert [b.status for b in all_batches(engine)] == [BatchStatus.PENDING]

        killable.kill_anvil()
        hold.release(forward=forward)
        # The server keeps accepting while the chain is gone; these wait in the queue.
        ledger.harvest("LOT-B")
        for i in range(5):
            ledger.note("LOT-B", f"trong lúc mất nút {i}")
        assert not everything_confirmed(engine, ledger.accepted)

        # Same state folder, last dump; a new port behind the same relay.
        rpc_proxy.upstream = killable.restart_anvil()
        wait_for(
            lambda: everything_confirmed(engine, ledger.accepted),
            timeout=120,
            what="every accepted event in a confirmed batch",
        )
        chain = registry_client(killable.anvil, ledger.contract_address())
        assert_anchored_exactly_once(engine, chain, ledger.accepted)
        for code in ledger.lots:
            assert ledger.verdict(code)["verdict"] == "verified", ledger.verdict(code)
