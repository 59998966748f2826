"""What a failed send means for the row behind it: wait, give up, or count a revert.

Nodes and providers answer the same situations with different words, so callers must not guess
from a message each time. :func:`classify` sorts any error of the chain layer into one of three
classes, by the JSON-RPC code and the messages geth, Besu, Nethermind, Erigon, anvil and public
providers (Infura, Alchemy, QuickNode) use:

* ``TEMPORARY``: the node cannot take the transaction *now* (rate limit, pool full, nonce or fee
  race, the node syncing or unreachable, not enough ether yet, the registry paused). Sending
  again later can succeed, so the row backs off and is never failed for it. Some of these only
  a person can cure (the account needs ether): :attr:`Classified.needs_operator` says so.
* ``PERMANENT``: the transaction can never be accepted as built (wrong chain id, a signature the
  node refuses, more gas than a block holds, a sender the network does not permit). The row
  fails at once, with the reason, for an operator.
* ``REVERTED``: the contract refused it, in the pre-flight estimate or mined with status 0. The
  same call usually reverts again, but state can move (a role granted, a root anchored), so it
  is tried a few times before the row fails with the decoded revert reason.

An error the tables do not know is temporary: a row that keeps waiting shows its reason and
loses nothing, while a failed one needs a person to bring it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from eth_typing import HexStr

from backend.chain.errors import (
    ChainConfigError,
    ChainError,
    ChainRejected,
    ChainReverted,
    ChainTimeout,
    ChainUnavailable,
    ContractNotFound,
    translate_errors,
)

if TYPE_CHECKING:
    from backend.chain.sender import ChainSender


class ErrorClass(StrEnum):
    TEMPORARY = "temporary"
    PERMANENT = "permanent"
    REVERTED = "reverted"


@dataclass(frozen=True)
class Classified:
    """An error's class, a short label of why (for logs and ``last_error``), and whether only
    a person can make it go away."""

    kind: ErrorClass
    why: str
    needs_operator: bool = False


#: Reverts that say "not now" rather than "never": OpenZeppelin's Pausable while anchoring is
#: paused in an emergency. By name when the ABI decodes it, else by its selector.
TEMPORARY_REVERTS = frozenset({"EnforcedPause"})
ENFORCED_PAUSE_SELECTOR = "0xd93c0665"

#: Node refusals that no resend can cure. Checked first: Besu answers "Transaction gas limit
#: exceeds block gas limit" with -32005, the code Infura uses for its rate limit.
PERMANENT_MESSAGES: tuple[tuple[str, str], ...] = (
    ("invalid sender", "the node refuses the signature (a chain id mismatch on geth)"),
    ("invalid chain id", "chain id mismatch"),
    ("wrong chainid", "chain id mismatch"),  # Besu
    ("chainid not supported", "chain id mismatch"),
    ("chainid is required", "the node wants replay-protected transactions"),
    ("only replay-protected", "the node wants replay-protected transactions"),
    ("invalidchainid", "chain id mismatch"),  # Nethermind
    ("invalid signature", "the node refuses the signature"),  # Besu
    ("exceeds block gas limit", "the transaction needs more gas than a block holds"),
    ("gaslimitexceeded", "the transaction needs more gas than a block holds"),  # Nethermind
    ("intrinsic gas too low", "gas limit below the intrinsic cost"),
    ("intrinsic gas exceeds gas limit", "gas limit below the intrinsic cost"),  # Besu
    ("intrinsicgastoolow", "gas limit below the intrinsic cost"),  # Nethermind
    ("oversized data", "the transaction is too large for the pool"),
    ("transaction type not supported", "the node does not take this transaction type"),
    ("invalid transaction type", "the node does not take this transaction type"),
    ("not authorized to send", "the network does not permit this sender"),  # Besu permissioning
    ("sender not an eoa", "the sending address holds code"),
    ("fee cap exceeded", "the fee is above the node's transaction fee cap"),  # Besu
    ("exceeds the configured cap", "the fee is above the node's transaction fee cap"),  # geth
    ("priority fee per gas higher than max fee", "tip above the fee cap"),
    ("priority fee per gas exceeds max fee", "tip above the fee cap"),  # Besu
    ("negative value", "negative value"),
)

#: Not enough ether for gas: temporary (the same transaction goes through once the account is
#: funded), but only a person can fund it.
FUNDS_MESSAGES: tuple[str, ...] = (
    "insufficient funds",  # geth, Erigon, anvil, Infura, Alchemy
    "insufficientfunds",  # Nethermind
    "insufficient balance",
    "upfront cost exceeds account balance",  # Besu
    "not enough funds",
)

#: Refusals that pass: the provider's rate limit, a full or racing pool, a node catching up.
TEMPORARY_MESSAGES: tuple[tuple[str, str], ...] = (
    ("rate limit", "rate limited"),  # Infura "request rate limited", "rate limit exceeded"
    ("too many requests", "rate limited"),
    ("request limit", "rate limited"),  # QuickNode "request limit reached"
    ("compute units", "rate limited"),  # Alchemy "exceeded its compute units per second"
    ("request count exceeded", "rate limited"),  # Infura daily quota
    ("txpool is full", "transaction pool full"),  # geth
    ("transaction pool is full", "transaction pool full"),  # Besu
    ("pool overflow", "transaction pool full"),
    ("txpoolfull", "transaction pool full"),  # Nethermind
    ("already known", "the node already has this transaction"),  # geth, Erigon, Infura
    ("alreadyknown", "the node already has this transaction"),  # Nethermind
    ("known transaction", "the node already has this transaction"),  # Besu
    ("existing tx with same hash", "the node already has this transaction"),  # Erigon
    ("underpriced", "fee below what the pool wants now"),  # "(replacement) transaction …"
    ("feetoolow", "fee below what the pool wants now"),  # Nethermind
    ("less than block base fee", "fee below what the pool wants now"),
    ("below current base fee", "fee below what the pool wants now"),  # Besu
    ("gas price below", "fee below what the pool wants now"),  # Besu minimum gas price
    ("nonce too low", "nonce already used"),
    ("oldnonce", "nonce already used"),  # Nethermind
    ("nonce too high", "nonce ahead of the account"),
    ("nonce too far", "nonce ahead of the account"),  # Besu
    ("noncegap", "nonce ahead of the account"),  # Nethermind
    ("could not replace existing tx", "another transaction holds this nonce"),  # Erigon
    ("initial sync", "the node is syncing"),  # Besu
    ("world state", "the node is syncing"),
    ("header not found", "the node is behind"),
    ("pool not enabled", "the node is syncing"),
)

#: JSON-RPC codes that mean "later" whatever the message: EIP-1474's "limit exceeded" (Infura,
#: Besu's log range), Alchemy's 429.
TEMPORARY_CODES = frozenset({-32005, 429})


def classify(exc: BaseException) -> Classified:
    """The class of ``exc``, an error raised by :mod:`backend.chain` (or a bug: permanent)."""
    if isinstance(exc, ChainReverted):
        name = exc.error_name or ""
        if name in TEMPORARY_REVERTS or ENFORCED_PAUSE_SELECTOR in str(exc):
            return Classified(ErrorClass.TEMPORARY, "the registry is paused")
        return Classified(ErrorClass.REVERTED, f"reverted: {exc.revert or 'no reason given'}")
    if isinstance(exc, ChainUnavailable):
        return Classified(ErrorClass.TEMPORARY, "node unreachable")
    if isinstance(exc, ChainTimeout):
        return Classified(ErrorClass.TEMPORARY, "node too slow")
    if isinstance(exc, ContractNotFound | ChainConfigError):
        return Classified(ErrorClass.PERMANENT, "settings or registry address")
    if isinstance(exc, ChainRejected):
        return _classify_refusal(str(exc).lower(), exc.code)
    if isinstance(exc, ChainError):
        return Classified(ErrorClass.TEMPORARY, "chain error")
    return Classified(ErrorClass.PERMANENT, type(exc).__name__)


def _classify_refusal(message: str, code: int | None) -> Classified:
    for needle, why in PERMANENT_MESSAGES:
        if needle in message:
            return Classified(ErrorClass.PERMANENT, why)
    if any(needle in message for needle in FUNDS_MESSAGES):
        return Classified(
            ErrorClass.TEMPORARY, "the anchoring account lacks ether for gas", needs_operator=True
        )
    for needle, why in TEMPORARY_MESSAGES:
        if needle in message:
            return Classified(ErrorClass.TEMPORARY, why)
    if code in TEMPORARY_CODES:
        return Classified(ErrorClass.TEMPORARY, "rate limited")
    return Classified(ErrorClass.TEMPORARY, "refused for a reason not known here")


def explain_failed_tx(sender: ChainSender, tx_hash: str) -> ChainReverted:
    """Why a mined transaction has status 0: its call replayed on its block, revert decoded."""
    with translate_errors(endpoint=sender.endpoint):
        receipt = sender.w3.eth.get_transaction_receipt(HexStr(tx_hash))
        # The sender replays the call on its block; one place decodes reverts.
        return sender._explain_failure(HexStr(tx_hash), receipt)
