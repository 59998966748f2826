"""Error classes: the words real nodes and providers use, sorted into wait, fail, or count."""

from __future__ import annotations

import pytest
from web3.exceptions import Web3RPCError

from backend.chain.error_classes import ErrorClass, classify
from backend.chain.errors import (
    ChainConfigError,
    ChainRejected,
    ChainReverted,
    ChainTimeout,
    ChainUnavailable,
    ContractNotFound,
    DecodedRevert,
    StaleHeadsRoot,
    to_chain_error,
)

NODE = "http://node:8545"


def refused(message: str, code: int | None = -32000) -> ChainRejected:
    """The error the boundary raises for a node's JSON-RPC error answer."""
    answer = {"jsonrpc": "2.0", "id": 1, "error": {"code": code, "message": message}}
    mapped = to_chain_error(Web3RPCError(message, rpc_response=answer), endpoint=NODE)  # type: ignore[arg-type]
    assert isinstance(mapped, ChainRejected)
    return mapped


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("project ID request rate exceeded", -32005),  # Infura
        ("daily request count exceeded, request rate limited", -32005),  # Infura
        ("Your app has exceeded its compute units per second capacity.", 429),  # Alchemy
        ("15/second request limit reached - reduce calls per second", -32007),  # QuickNode
        ("limit exceeded", -32005),  # EIP-1474 wording, nothing else to go by
        ("txpool is full", -32000),  # geth
        ("Transaction pool is full", -32000),  # Besu
        ("already known", -32000),  # geth, Erigon
        ("Known transaction", -32000),  # Besu
        ("AlreadyKnown", -32010),  # Nethermind
        ("replacement transaction underpriced", -32000),  # geth
        ("Replacement transaction underpriced", -32000),  # Besu
        ("transaction underpriced", -32000),
        ("FeeTooLow, MaxFeePerGas too low", -32010),  # Nethermind
        ("max fee per gas less than block base fee", -32000),  # geth
        ("nonce too low: next nonce 7, tx nonce 6", -32000),  # geth
        ("Nonce too low", -32001),  # Besu
        ("OldNonce, Current nonce: 7, nonce of rejected tx: 6", -32010),  # Nethermind
        ("Initial sync is still in progress", -32008),  # Besu
        ("something no table here knows", -32603),
    ],
)
def test_passing_refusals_are_temporary(message: str, code: int) -> None:
    found = classify(refused(message, code))
    assert found.kind is ErrorClass.TEMPORARY
    assert not found.needs_operator


@pytest.mark.parametrize(
    "message",
    [
        "insufficient funds for gas * price + value: have 0 want 2100000",  # geth, anvil
        "Upfront cost exceeds account balance",  # Besu
        "InsufficientFunds, Balance is 0 less than sending value + gas 2100000",  # Nethermind
    ],
)
def test_missing_ether_is_temporary_but_needs_an_operator(message: str) -> None:
    found = classify(refused(message))
    assert found.kind is ErrorClass.TEMPORARY
    assert found.needs_operator
    assert "ether" in found.why


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("invalid sender", -32000),  # geth: signed for another chain id
        ("Wrong chainId", -32000),  # Besu
        ("exceeds block gas limit", -32000),  # geth
        ("Transaction gas limit exceeds block gas limit", -32005),  # Besu: -32005 yet permanent
        ("intrinsic gas too low", -32000),  # geth
        ("Intrinsic gas exceeds gas limit", -32003),  # Besu
        ("Sender account not authorized to send transactions", -32007),  # Besu permissioning
        ("transaction type not supported", -32000),
        ("tx fee (1.20 ether) exceeds the configured cap (1.00 ether)", -32000),  # geth
    ],
)
def test_refusals_no_resend_can_cure_are_permanent(message: str, code: int) -> None:
    assert classify(refused(message, code)).kind is ErrorClass.PERMANENT


def test_the_node_code_is_kept_on_the_error() -> None:
    assert refused("project ID request rate exceeded", -32005).code == -32005
    assert ChainRejected("no answer body").code is None


def test_a_revert_is_counted_with_its_decoded_reason() -> None:
    revert = DecodedRevert("AccessControlUnauthorizedAccount", ("0xab", b"\x01" * 32))
    found = classify(ChainReverted("reverted", revert=revert))
    assert found.kind is ErrorClass.REVERTED
    assert "AccessControlUnauthorizedAccount(0xab, 0x0101" in found.why
    stale = StaleHeadsRoot("stale", revert=DecodedRevert("TraceRegistryStaleHeadsRoot", ()))
    assert classify(stale).kind is ErrorClass.REVERTED


def test_a_paused_registry_is_temporary_by_name_or_by_selector() -> None:
    by_name = ChainReverted("reverted", revert=DecodedRevert("EnforcedPause", ()))
    by_selector = ChainReverted("reverted: 0xd93c0665")  # an ABI without Pausable
    assert classify(by_name).kind is ErrorClass.TEMPORARY
    assert classify(by_selector).kind is ErrorClass.TEMPORARY


def test_node_outages_are_temporary_and_bad_settings_permanent() -> None:
    assert classify(ChainUnavailable("refused")).kind is ErrorClass.TEMPORARY
    assert classify(ChainTimeout("slow")).kind is ErrorClass.TEMPORARY
    assert classify(ContractNotFound("no code")).kind is ErrorClass.PERMANENT
    assert classify(ChainConfigError("no key")).kind is ErrorClass.PERMANENT
    assert classify(ValueError("chain action 3 has no event kind")).kind is ErrorClass.PERMANENT
