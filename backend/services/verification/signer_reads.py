"""The registry's record of who signs for an organisation, read at one block.

Verification asks ``signerOf(orgKey, signer)`` of the registry that holds the event's anchor,
at the block the request verifies at (its head, read once): every event of the request is
judged against the same state of the chain, and nothing is kept beyond the request, so a key
revoked in the next block is seen by the next request. The record says since when the key
signs (``since``), until when (``until``, 0 while active) and who holds it (``custody``); the
rule that turns it into a verdict is in ``signatures``.

Only the one view function is needed, so it is called through a minimal ABI on the client's
web3, which also reaches a retired registry by its address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address

from backend.chain import ChainClient, translate_errors

#: ``signerOf`` as the registry declares it (the rest of its ABI is not needed here).
SIGNER_OF_ABI: list[dict[str, Any]] = [
    {
        "type": "function",
        "name": "signerOf",
        "stateMutability": "view",
        "inputs": [
            {"name": "orgKey", "type": "bytes32"},
            {"name": "signer", "type": "address"},
        ],
        "outputs": [
            {"name": "since", "type": "uint64"},
            {"name": "until", "type": "uint64"},
            {"name": "custody", "type": "uint8"},
        ],
    }
]


@dataclass(frozen=True)
class SignerRecord:
    """One key's standing for one organisation, as the registry records it (Unix seconds)."""

    since: int  # activation block time; 0: never registered for this organisation
    until: int  # revocation block time; 0: not revoked
    custody: int  # 1 client-held, 2 browser-held, 3 custodial; 0 when never registered


def read_signer(
    chain: ChainClient, registry: str, org_key: bytes, signer: str, block: int
) -> SignerRecord:
    """``signerOf(org_key, signer)`` on ``registry`` at block ``block`` (errors mapped to
    :class:`~backend.chain.ChainError`)."""
    contract = chain.w3.eth.contract(address=to_checksum_address(registry), abi=SIGNER_OF_ABI)
    with translate_errors(endpoint=chain.endpoint):
        since, until, custody = contract.functions.signerOf(
            org_key, to_checksum_address(signer)
        ).call(block_identifier=block)
    return SignerRecord(int(since), int(until), int(custody))
