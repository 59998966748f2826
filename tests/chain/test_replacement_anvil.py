"""A stuck transaction replaced at its nonce on a real anvil: EIP-1559 fees and, on a chain
from before London (no base fee, as some consortium genesis files), the legacy gas price.

Anvil mines nothing while automine is off, so both attempts sit in its pool; the replacement,
signed again from the stored bytes with fees raised by at least an eighth, takes the original's
place, and only it is mined.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_utils import keccak

from tests.support.anvil import demo_client, start_anvil
from tests.support.node_app import rpc

pytestmark = pytest.mark.anvil

LOT = keccak(text="lot")


@pytest.mark.parametrize("hardfork", [None, "berlin"])
def test_the_replacement_takes_the_stuck_transactions_place(
    tmp_path: Path, hardfork: str | None
) -> None:
    node = start_anvil(tmp_path / "anvil", hardfork=hardfork)
    try:
        chain = demo_client(node)
        chain.deploy_registry()
        rpc(node.url, "evm_setAutomine", False)
        nonce = chain.account_nonce("pending")
        fees = chain.market_fees()
        assert fees.legacy is (hardfork == "berlin")
        call = chain.lot_event_call(LOT, 2, keccak(text="event"))
        stuck = chain.sign_call(call, nonce=nonce, fees=fees)
        chain.broadcast(stuck.raw)

        bumped = fees.bumped(chain.market_fees())
        replacement = chain.sign_replacement(stuck.raw, bumped)
        chain.broadcast(replacement.raw)
        rpc(node.url, "evm_mine")

        assert replacement.nonce == stuck.nonce
        if fees.legacy:
            assert bumped.gas_price is not None and fees.gas_price is not None
            assert bumped.gas_price * 8 >= fees.gas_price * 9
        assert rpc(node.url, "eth_getTransactionReceipt", stuck.tx_hash) is None
        receipt = rpc(node.url, "eth_getTransactionReceipt", replacement.tx_hash)
        assert receipt["status"] == "0x1"
        assert chain.account_nonce("latest") == nonce + 1
        assert len(chain.lot_events(LOT)) == 1
    finally:
        node.stop()
