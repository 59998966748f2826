"""Signed transactions as values: fees raised for a replacement, stored bytes broadcast again,
a replacement re-signed from the stored bytes at the same nonce (in-process chain)."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_utils import keccak

from backend.chain import ChainClient, ChainRejected
from backend.chain.tx_records import (
    Broadcast,
    Fees,
    broadcast_outcome,
    decode_unsigned,
    replacement,
    sign,
)
from backend.config import DEMO_ANCHOR_PRIVATE_KEY

LOT = keccak(text="lot")


def test_a_replacement_raises_both_fees_by_at_least_an_eighth() -> None:
    old = Fees(max_fee_per_gas=3_000_000_001, max_priority_fee_per_gas=1_000_000_001)
    new = old.bumped(Fees(max_fee_per_gas=1, max_priority_fee_per_gas=1))
    assert new.max_fee_per_gas is not None and new.max_priority_fee_per_gas is not None
    assert new.max_fee_per_gas * 8 >= old.max_fee_per_gas * 9  # +12.5%, rounded up
    assert new.max_priority_fee_per_gas * 8 >= old.max_priority_fee_per_gas * 9
    assert new.max_fee_per_gas < old.max_fee_per_gas * 9 // 8 + 2  # and not much more


def test_a_replacement_is_at_least_the_market_and_never_below_its_tip() -> None:
    old = Fees(max_fee_per_gas=100, max_priority_fee_per_gas=10)
    market = Fees(max_fee_per_gas=5_000, max_priority_fee_per_gas=2_000)
    assert old.bumped(market) == market
    tips_above = Fees(max_fee_per_gas=100, max_priority_fee_per_gas=99)
    raised = tips_above.bumped(Fees(max_fee_per_gas=0, max_priority_fee_per_gas=0))
    assert raised.max_fee_per_gas is not None and raised.max_priority_fee_per_gas is not None
    assert raised.max_fee_per_gas >= raised.max_priority_fee_per_gas


def test_a_legacy_replacement_raises_the_gas_price() -> None:
    assert Fees(gas_price=80).bumped(Fees(gas_price=10)) == Fees(gas_price=90)
    assert Fees(gas_price=1).bumped(Fees(gas_price=1)) == Fees(gas_price=2)  # at least +1 wei
    assert Fees(gas_price=80).bumped(Fees(max_fee_per_gas=500)) == Fees(gas_price=500)


@pytest.mark.parametrize(
    ("message", "outcome"),
    [
        ("already known", Broadcast.KNOWN),  # geth
        ("Known transaction", Broadcast.KNOWN),  # Besu
        ("transaction already imported", Broadcast.KNOWN),  # anvil
        ("AlreadyKnown", Broadcast.KNOWN),  # Nethermind
        ("nonce too low: next nonce 7, tx nonce 6", Broadcast.NONCE_USED),  # geth
        ("Nonce too low", Broadcast.NONCE_USED),
        ("OldNonce", Broadcast.NONCE_USED),  # Nethermind
        ("Invalid transaction nonce: Expected 2, but got 1", Broadcast.NONCE_USED),  # eth-tester
        ("Invalid transaction nonce: Expected 1, but got 2", None),
        ("replacement transaction underpriced", None),
        ("insufficient funds for gas * price + value", None),
        ("txpool is full", None),
    ],
)
def test_node_answers_to_a_broadcast_of_stored_bytes(
    message: str, outcome: Broadcast | None
) -> None:
    assert broadcast_outcome(f"http://node refused the request: {message}") is outcome


def test_stored_bytes_broadcast_again_are_not_a_second_transaction(
    memory_client: ChainClient,
) -> None:
    nonce = memory_client.account_nonce("pending")
    call = memory_client.lot_event_call(LOT, 2, keccak(text="event"))
    signed = memory_client.sign_call(call, nonce=nonce, fees=memory_client.market_fees())
    assert memory_client.account_nonce("pending") == nonce  # signing sends nothing

    assert memory_client.broadcast(signed.raw) is Broadcast.SENT
    receipt = memory_client.w3.eth.wait_for_transaction_receipt(signed.tx_hash)
    assert receipt["status"] == 1
    again = memory_client.broadcast(signed.raw)  # e.g. the first answer timed out
    assert again in (Broadcast.KNOWN, Broadcast.NONCE_USED)
    assert memory_client.account_nonce("latest") == nonce + 1
    assert len(memory_client.lot_events(LOT)) == 1


def test_a_replacement_keeps_nonce_call_and_gas_and_changes_only_fees() -> None:
    account = Account.from_key(DEMO_ANCHOR_PRIVATE_KEY)
    fields = {"to": account.address, "value": 0, "gas": 50_000, "data": b"\x01\x02"}
    first = sign(account, {**fields, "nonce": 7, "chainId": 31337}, Fees(300, 100))
    second = replacement(account, first.raw, Fees(400, 200), chain_id=31337)
    assert (second.nonce, second.to) == (7, first.to)
    assert second.tx_hash != first.tx_hash
    a, b = decode_unsigned(first.raw), decode_unsigned(second.raw)
    assert a == b  # the same call: only the fees (and the signature) differ
    legacy = sign(account, {**fields, "nonce": 3, "chainId": 31337}, Fees(gas_price=10))
    bumped = replacement(account, legacy.raw, Fees(gas_price=12), chain_id=31337)
    assert decode_unsigned(bumped.raw) == decode_unsigned(legacy.raw)
    assert bumped.nonce == 3


def test_a_refused_broadcast_raises(memory_client: ChainClient) -> None:
    account = Account.create()  # no ether: the node refuses the transaction
    fields = {"to": account.address, "value": 0, "gas": 21_000, "data": b""}
    chain_id = memory_client.chain_id
    signed = sign(account, {**fields, "nonce": 0, "chainId": chain_id}, Fees(10**12, 10**9))
    with pytest.raises(ChainRejected):
        memory_client.broadcast(signed.raw)
