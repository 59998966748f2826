"""Signed transactions as values: signed once, stored, broadcast as the same bytes, replaced.

A transaction whose hash is known only after broadcast cannot be sent idempotently: a timeout
on ``eth_sendRawTransaction`` (the node may have it), a crash or a database failover between
send and commit all end in a second send. So the sender signs first and hands back a
:class:`SignedTx` (nonce, raw bytes, hash, fees); the caller stores it, and only then asks for
the broadcast. Broadcasting the same bytes again is always safe: at worst the node answers
that it knows them already (:data:`Broadcast.KNOWN`) or that their nonce is used
(:data:`Broadcast.NONCE_USED`: mined, ours or another's; the caller finds out which).

A transaction waiting too long is replaced at its own nonce with both fee fields raised by at
least 12.5% (:meth:`Fees.bumped`): geth and Besu refuse a replacement under +10%, some
providers under +12.5%, and a replacement at the market's fees or below would wait again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import rlp
from eth_account._utils.legacy_transactions import Transaction
from eth_account.signers.local import LocalAccount
from eth_account.typed_transactions import TypedTransaction
from hexbytes import HexBytes
from web3.types import TxParams

#: A replacement raises each fee by at least one eighth (12.5%), rounded up.
BUMP_DIVISOR = 8

#: Node answers to a broadcast of bytes it already holds (geth, Besu, Nethermind, anvil, reth).
_KNOWN = (
    "already known",
    "known transaction",
    "already imported",
    "alreadyknown",
    "already in the pool",
    "already exists",
    "transaction already in",
)
#: Node answers to a broadcast whose nonce a mined transaction has used.
_NONCE_USED = ("nonce too low", "nonce is too low", "oldnonce", "nonce has already been used")


_EXPECTED_NONCE = re.compile(r"invalid transaction nonce: expected (\d+), but got (\d+)")


class Broadcast(StrEnum):
    """What a broadcast of stored bytes achieved; all three leave the node knowing of them or
    of a transaction mined at their nonce."""

    SENT = "sent"
    KNOWN = "known"  # the node has these bytes already (in its pool, or mined)
    NONCE_USED = "nonce_used"  # a transaction at this nonce is mined: ours or not, look


def broadcast_outcome(message: str) -> Broadcast | None:
    """How to read a node's refusal of a broadcast: None when it is a real refusal."""
    text = message.lower()
    if any(marker in text for marker in _KNOWN):
        return Broadcast.KNOWN
    if any(marker in text for marker in _NONCE_USED):
        return Broadcast.NONCE_USED
    expected = _EXPECTED_NONCE.search(text)  # eth-tester: "expected 2, but got 1"
    if expected and int(expected.group(2)) < int(expected.group(1)):
        return Broadcast.NONCE_USED
    return None


def _raised(value: int) -> int:
    return value + max(1, -(-value // BUMP_DIVISOR))


@dataclass(frozen=True)
class Fees:
    """EIP-1559 fees (``max_fee_per_gas``, ``max_priority_fee_per_gas``), or ``gas_price`` on
    a chain without a base fee (some consortium networks); wei per gas."""

    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None
    gas_price: int | None = None

    @property
    def legacy(self) -> bool:
        return self.gas_price is not None

    def params(self) -> TxParams:
        if self.gas_price is not None:
            return {"gasPrice": self.gas_price}  # type: ignore[typeddict-item]
        return {
            "maxFeePerGas": self.max_fee_per_gas or 0,  # type: ignore[typeddict-item]
            "maxPriorityFeePerGas": self.max_priority_fee_per_gas or 0,  # type: ignore[typeddict-item]
        }

    def bumped(self, market: Fees) -> Fees:
        """Fees for a replacement: each field raised by ≥ 12.5%, and at least the market's."""
        if self.gas_price is not None:
            floor = market.gas_price or market.max_fee_per_gas or 0
            return Fees(gas_price=max(_raised(self.gas_price), floor))
        tip = max(_raised(self.max_priority_fee_per_gas or 0), market.max_priority_fee_per_gas or 0)
        fee = max(_raised(self.max_fee_per_gas or 0), market.max_fee_per_gas or 0, tip)
        return Fees(max_fee_per_gas=fee, max_priority_fee_per_gas=tip)


@dataclass(frozen=True)
class SignedTx:
    """A signed transaction, not yet broadcast (or broadcast again: same bytes, same hash)."""

    nonce: int
    raw: bytes
    tx_hash: str
    fees: Fees
    to: str | None  # lower case hex (the registry), None for a contract creation


def decode_unsigned(raw: bytes) -> dict[str, Any]:
    """The fields of a signed transaction without its signature and fees (for re-signing)."""
    if raw and raw[0] == 2:
        fields = dict(TypedTransaction.from_bytes(HexBytes(raw)).as_dict())
    elif raw and raw[0] < 0x7F:
        raise ValueError(f"transaction type {raw[0]} is not one this sender signs")
    else:
        fields = dict(rlp.decode(raw, Transaction).as_dict())
    for name in ("v", "r", "s", "type", "gasPrice", "maxFeePerGas", "maxPriorityFeePerGas"):
        fields.pop(name, None)
    if fields.get("to") in (b"", None):
        fields.pop("to", None)  # a contract creation
    return fields


def sign(account: LocalAccount, fields: dict[str, Any], fees: Fees) -> SignedTx:
    """Sign ``fields`` (nonce, gas, to, data, value, chainId) with ``fees``."""
    params = {**fields, **fees.params()}
    if not fees.legacy:
        params["type"] = 2
    signed = account.sign_transaction(params)
    to = params.get("to")
    return SignedTx(
        nonce=int(params["nonce"]),
        raw=bytes(signed.raw_transaction),
        tx_hash=signed.hash.to_0x_hex(),
        fees=fees,
        to=_address(to),
    )


def _address(value: object) -> str | None:
    if value in (None, b"", ""):
        return None
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return str(value).lower()


def replacement(account: LocalAccount, raw: bytes, fees: Fees, *, chain_id: int) -> SignedTx:
    """The transaction ``raw`` signed again with ``fees``: same nonce, call and gas."""
    fields = decode_unsigned(raw)
    fields.setdefault("chainId", chain_id)
    return sign(account, fields, fees)
