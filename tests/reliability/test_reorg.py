"""A chain reorganisation removes an anchor transaction after the batch was confirmed.

``anvil_reorg`` replaces the newest blocks with empty ones at the same heights: the anchor
log, the transaction and its effect on ``anchorOf`` are gone, as on a real network where the
other branch won. Until the reconcile pass runs, the event may read ``tampered`` (the database
calls the root anchored, the chain does not) or ``pending``, never ``verified``; once reconcile
has put the batch back in the queue it reads ``pending`` (being anchored again); after the new
anchor it reads ``verified``, with the root anchored once on the surviving chain.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from backend.chain.anvil import ManagedAnvil
from backend.models import BatchStatus
from tests.reliability.live import (
    ANCHOR_SELECTOR,
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

pytestmark = [pytest.mark.slow, pytest.mark.anvil, pytest.mark.postgres]


def rpc(node: ManagedAnvil, method: str, *params: Any) -> Any:
    """One JSON-RPC call straight to anvil (not through the relay the server uses)."""
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    answer = httpx.post(node.url, json=body, timeout=10).json()
    assert "error" not in answer, answer
    return answer["result"]


def event_verdicts(ledger: LiveLedger, code: str) -> dict[str, tuple[str, str]]:
    """event id → (verdict, reason code) as the public verification endpoint says now."""
    body = ledger.verdict(code)
    return {e["id"]: (e["verdict"], e["reason_code"]) for e in body["events"]}


def test_a_reorged_anchor_is_noticed_and_anchored_again(
    postgres_url: str, engine: Engine, killable: KillableStack, rpc_proxy: RpcProxy
) -> None:
    killable.start_server(database_url=postgres_url, chain_rpc_url=rpc_proxy.url)
    with killable.server.client() as http:
        ledger = LiveLedger(http).setup()
        ledger.harvest("LOT-R")
        for i in range(3):
            ledger.note("LOT-R", f"trước khi tái tổ chức {i}")
        wait_for(lambda: everything_confirmed(engine, ledger.accepted), what="first anchors")
        assert ledger.verdict("LOT-R")["verdict"] == "verified"
        anchored = {b.root: b.block_number for b in all_batches(engine)}

        head = int(rpc(killable.anvil, "eth_blockNumber"), 16)
        depth = head - min(n for n in anchored.values() if n is not None) + 1
        rpc(killable.anvil, "anvil_reorg", depth, [])
        chain = registry_client(killable.anvil, ledger.contract_address())
        assert all(chain.anchor_of(bytes.fromhex(root[2:])) is None for root in anchored)

        for event_id, (verdict, reason) in event_verdicts(ledger, "LOT-R").items():
            assert verdict in {"tampered", "pending"}, (event_id, verdict, reason)
        assert ledger.verdict("LOT-R")["verdict"] != "verified"

        hold = rpc_proxy.arm("eth_sendRawTransaction", needle=ANCHOR_SELECTOR)
        answers: list[httpx.Response] = []
        reconcile = threading.Thread(
            target=lambda: answers.append(
                http.post("/api/v1/anchor", params={"reconcile": "true"}, headers=ADMIN)
            )
        )
        reconcile.start()
        try:
            hold.wait_caught()
            requeued = [b for b in all_batches(engine) if b.root in anchored]
            assert all(b.status is BatchStatus.PENDING for b in requeued), requeued
            verdicts = event_verdicts(ledger, "LOT-R")
            assert set(verdicts.values()) == {("pending", "pending_reanchoring")}, verdicts
        finally:
            hold.release()
            reconcile.join(timeout=120)
        assert answers and answers[0].status_code == 200, answers
        assert sorted(answers[0].json()["reconcile"]["requeued"]) == sorted(anchored)

        wait_for(
            lambda: everything_confirmed(engine, ledger.accepted), timeout=90, what="re-anchor"
        )
        assert_anchored_exactly_once(engine, chain, ledger.accepted)
        assert ledger.verdict("LOT-R")["verdict"] == "verified"
