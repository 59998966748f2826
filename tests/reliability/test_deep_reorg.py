"""A reorganisation deeper than 256 blocks happens while the server is down.

The anchors are confirmed and then buried under 300 blocks; the operator's reconcile moves the
chain checkpoint (the last final block reconcile saw, kept in the database) above them. The
server stops; the chain replaces every block from the first anchor's or milestone's on
(``anvil_reorg``, about 300 deep: deeper than the old fixed look-back of 256 blocks, and below
the checkpoint).
On restart the checkpoint's block has another hash, so reconcile checks every anchor instead of
only those after it: the vanished batches go back to the queue and are anchored again (never
left "confirmed" with their lots reading "tampered"), and the lost milestone is sent again.
"""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from backend.hashing import from_hex, lot_key
from backend.models import BatchStatus, ChainAction, ChainCheckpoint
from tests.reliability.live import (
    LiveLedger,
    all_batches,
    assert_anchored_exactly_once,
    everything_confirmed,
    registry_client,
    wait_for,
)
from tests.reliability.rpc_proxy import RpcProxy
from tests.support.app import ADMIN
from tests.support.killable import KillableStack
from tests.support.node_app import rpc

pytestmark = [pytest.mark.slow, pytest.mark.anvil, pytest.mark.postgres]

#: Blocks mined over the anchors before the server stops: more than the old look-back of 256.
BURIED = 300


def checkpoint(engine: Engine) -> ChainCheckpoint | None:
    with Session(engine) as session:
        return session.get(ChainCheckpoint, 31337)


def all_actions(engine: Engine) -> list[ChainAction]:
    with Session(engine) as session:
        return list(session.exec(select(ChainAction)).all())


def actions_confirmed(engine: Engine) -> bool:
    rows = all_actions(engine)
    return bool(rows) and all(row.status is BatchStatus.CONFIRMED for row in rows)


def test_a_reorg_deeper_than_256_blocks_while_down_is_found_and_anchored_again(
    postgres_url: str, engine: Engine, killable: KillableStack, rpc_proxy: RpcProxy
) -> None:
    node = killable.anvil
    killable.start_server(database_url=postgres_url, chain_rpc_url=rpc_proxy.url)
    with killable.server.client() as http:
        ledger = LiveLedger(http).setup()
        ledger.harvest("LOT-D")
        for i in range(2):
            ledger.note("LOT-D", f"trước khi máy chủ dừng {i}")
        wait_for(lambda: everything_confirmed(engine, ledger.accepted), what="first anchors")
        wait_for(lambda: actions_confirmed(engine), what="the harvest milestone")
        assert ledger.verdict("LOT-D")["verdict"] == "verified"
        address = ledger.contract_address()
        anchored = {b.root: b.block_number for b in all_batches(engine)}
        mined_in = [*anchored.values(), *(a.block_number for a in all_actions(engine))]
        first_block = min(n for n in mined_in if n is not None)

        rpc(node.url, "anvil_mine", hex(BURIED))
        answer = http.post("/api/v1/anchor", params={"reconcile": "true"}, headers=ADMIN)
        assert answer.status_code == 200, answer.text
        saved = checkpoint(engine)
        assert saved is not None and saved.block_number >= first_block + BURIED

    killable.server.stop()
    depth = int(rpc(node.url, "eth_blockNumber"), 16) - first_block + 1
    assert depth > 256
    rpc(node.url, "anvil_reorg", depth, [])
    rpc(node.url, "anvil_mine", hex(5))  # the winning branch grows on while the server is down
    chain = registry_client(node, address)
    assert all(chain.anchor_of(from_hex(root)) is None for root in anchored)
    assert chain.lot_events(lot_key("LOT-D")) == []
    stale = checkpoint(engine)
    assert stale is not None
    assert rpc(node.url, "eth_getBlockByNumber", hex(stale.block_number), False)["hash"] != (
        stale.block_hash
    )

    killable.restart_server()
    with killable.server.client() as http:
        ledger.http = http

        def anchored_again() -> bool:
            on_chain = all(chain.anchor_of(from_hex(root)) is not None for root in anchored)
            return on_chain and everything_confirmed(engine, ledger.accepted)

        wait_for(anchored_again, timeout=120, what="the vanished batches anchored again")
        wait_for(lambda: actions_confirmed(engine), timeout=60, what="the milestone sent again")
        assert_anchored_exactly_once(engine, chain, ledger.accepted)
        assert len(chain.lot_events(lot_key("LOT-D"))) == 1
        assert ledger.verdict("LOT-D")["verdict"] == "verified"
        assert f"block {stale.block_number} of chain 31337 is no longer" in (
            killable.server.log_text()
        )
        moved = checkpoint(engine)
        assert moved is not None and moved.block_hash != stale.block_hash
