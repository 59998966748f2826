"""The registry deploys and works on a chain whose EVM predates Shanghai (no PUSH0).

Consortium chains (Besu, geth) often keep a genesis from before Shanghai; the artifacts are
compiled for ``paris`` so that they run there. An anvil started with ``--hardfork london``
stands in for such a chain.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_utils import keccak
from web3.exceptions import Web3RPCError

from backend.chain.types import EMPTY_HEADS_ROOT, HeadsUpdate
from backend.hashing import HeadsMap
from tests.support.anvil import demo_client, start_anvil

pytestmark = pytest.mark.anvil

#: Creation code ``PUSH0 PUSH0 RETURN``: returns empty code where PUSH0 exists, fails elsewhere.
PUSH0_PROGRAM = "0x5f5ff3"


def test_the_registry_deploys_anchors_and_folds_on_a_london_chain(tmp_path: Path) -> None:
    node = start_anvil(tmp_path / "anvil", hardfork="london")
    try:
        chain = demo_client(node)
        with pytest.raises(Web3RPCError):  # the node really has no PUSH0
            chain.w3.eth.call({"from": chain.signer, "data": PUSH0_PROGRAM})

        chain.deploy_registry()
        lot, head = keccak(text="DT-XOAI-2026-0001"), keccak(text="harvest")
        heads = HeadsMap.from_heads([(lot, head, 1)])
        result = chain.anchor_batch(
            keccak(text="root"), 1, HeadsUpdate(EMPTY_HEADS_ROOT, heads.root)
        )

        assert result.status == 1
        assert chain.heads_root() == heads.root
        assert chain.verify_head(lot, head, 1, heads.proof(lot)) is True
        assert chain.record_lot_event(lot, 2, head).status == 1
    finally:
        node.stop()
