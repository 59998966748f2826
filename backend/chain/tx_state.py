"""Where a sent transaction stands, without blocking: mined, waiting in the pool, or gone.

The anchoring worker never waits on a receipt. It records a sent transaction, then on later
passes asks this module what became of it, which is what makes a restart at any moment safe:
a transaction the node no longer knows (dropped, reorged out, chain reset) is sent again, and
the contract refuses a second anchor of the same root.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from eth_typing import HexStr
from web3.exceptions import TransactionNotFound

from backend.chain import ChainClient, translate_errors


class TxStatus(StrEnum):
    MINED = "mined"  # in a block and succeeded
    FAILED = "failed"  # in a block and reverted
    WAITING = "waiting"  # known to the node, not mined yet
    UNKNOWN = "unknown"  # the node has never heard of it (dropped, reorged out, reset)


@dataclass(frozen=True)
class TxState:
    status: TxStatus
    block_number: int | None = None


def tx_state(chain: ChainClient, tx_hash: str) -> TxState:
    """Ask the node about ``tx_hash``; raises ChainUnavailable when it does not answer."""
    with translate_errors(endpoint=chain.endpoint):
        try:
            receipt = chain.w3.eth.get_transaction_receipt(HexStr(tx_hash))
        except TransactionNotFound:
            receipt = None
        if receipt is None:
            try:
                chain.w3.eth.get_transaction(HexStr(tx_hash))
            except TransactionNotFound:
                return TxState(TxStatus.UNKNOWN)
            return TxState(TxStatus.WAITING)
    status = TxStatus.MINED if receipt["status"] == 1 else TxStatus.FAILED
    return TxState(status, int(receipt["blockNumber"]))
