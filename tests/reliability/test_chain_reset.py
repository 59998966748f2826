"""The chain loses its state, or the registry contract vanishes from it, under a running server.

Two ways to lose the anchors:

* ``state-lost``: anvil is killed and restarted with its state file deleted, a brand-new chain
  with the same id. The server redeploys the registry, and since the deploy is again the
  signer's first transaction it lands at the very same address: only the chain itself can
  tell the old anchors are gone (cached facts keyed by chain id and address must not vouch
  for them).
* ``contract-gone``: the chain keeps running but the registry's code is wiped
  (``anvil_setCode``), so the server redeploys at a new address. Code cannot vanish from a
  live EVM chain in normal operation and the blocks are unchanged, so until the server notices,
  anchors it had cached as final may still be served; the checks start from the notice.

While the stored batches are being anchored again (the relay holds the first new
``anchorBatch``) no event may read ``verified``; afterwards every event reads ``verified``
against the new registry, each root anchored there once.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy.engine import Engine

from tests.reliability.live import (
    LiveLedger,
    all_batches,
    anchor_call,
    assert_anchored_exactly_once,
    everything_confirmed,
    registry_client,
    state_file_holds,
    wait_for,
)
from tests.reliability.rpc_proxy import RpcProxy
from tests.support.killable import KillableStack

pytestmark = [pytest.mark.slow, pytest.mark.anvil, pytest.mark.postgres]


def lose_state(killable: KillableStack, proxy: RpcProxy, _address: str) -> None:
    killable.kill_anvil()
    killable.anvil.state_file.unlink()
    proxy.upstream = killable.restart_anvil()


def wipe_contract(killable: KillableStack, _proxy: RpcProxy, address: str) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "anvil_setCode", "params": [address, "0x"]}
    assert "error" not in httpx.post(killable.anvil.url, json=body, timeout=10).json()


@pytest.mark.parametrize(
    "reset",
    [
        pytest.param(lose_state, id="state-lost"),
        pytest.param(wipe_contract, id="contract-gone"),
    ],
)
def test_lost_anchors_read_honestly_and_are_anchored_again(
    postgres_url: str,
    engine: Engine,
    killable: KillableStack,
    rpc_proxy: RpcProxy,
    reset: object,
) -> None:
    killable.start_server(database_url=postgres_url, chain_rpc_url=rpc_proxy.url)
    with killable.server.client() as http:
        ledger = LiveLedger(http).setup()
        for code in ("LOT-1", "LOT-2"):
            ledger.harvest(code)
            ledger.note(code, f"ghi chú cho {code}")
        wait_for(lambda: everything_confirmed(engine, ledger.accepted), what="first anchors")
        assert {ledger.verdict(code)["verdict"] for code in ledger.lots} == {"verified"}
        old_address = ledger.contract_address()
        wait_for(lambda: state_file_holds(killable.anvil, old_address), what="anvil state dump")
        stored_roots = {b.root for b in all_batches(engine)}

        # Batches are re-sent oldest first, so holding the oldest holds them all. The needle
        # names the root too: the registry's own bytecode contains the bare selector.
        oldest = all_batches(engine)[0].root
        hold = rpc_proxy.arm("eth_sendRawTransaction", needle=anchor_call(oldest))
        reset(killable, rpc_proxy, old_address)  # type: ignore[operator]
        if reset is lose_state:  # before the server has noticed anything
            for code in ledger.lots:
                assert ledger.verdict(code)["verdict"] in {"tampered", "pending"}
        hold.wait_caught(timeout=90)
        for code in ledger.lots:  # noticed, and the first new anchor is held on its way
            body = ledger.verdict(code)
            assert body["verdict"] == "pending", body
            assert {e["verdict"] for e in body["events"]} == {"pending"}, body["events"]
        hold.release()

        wait_for(
            lambda: everything_confirmed(engine, ledger.accepted), timeout=90, what="re-anchor"
        )
        new_address = ledger.contract_address()
        if reset is wipe_contract:
            assert new_address != old_address
        chain = registry_client(killable.anvil, new_address)
        assert_anchored_exactly_once(engine, chain, ledger.accepted)
        assert {b.root for b in all_batches(engine)} == stored_roots  # nothing rebuilt
        assert {b.contract_address for b in all_batches(engine)} == {new_address}
        assert {ledger.verdict(code)["verdict"] for code in ledger.lots} == {"verified"}
