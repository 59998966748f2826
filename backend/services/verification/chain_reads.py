"""Two reads every verification makes, asked of a JSON-RPC node directly when it can be.

The canary block's hash and the registry's heads root are read on every verification of a
rules-v2 lot; through web3 each costs several round trips and milliseconds of CPU, so a plain
JSON-RPC node is asked with one request on a kept-alive connection (``light_rpc``). Any answer
of a shape not known here goes through web3, so failures raise the mapped errors they always did.
"""

from __future__ import annotations

from web3 import HTTPProvider

from backend.chain import ChainClient
from backend.chain.light_rpc import LightRpcFailed, light_rpc_for
from backend.chain.providers import DEFAULT_HTTP_TIMEOUT_S
from backend.hashing import keccak


def _hash_of_raw_block(response: object) -> tuple[bool, bytes | None]:
    """Read a raw ``eth_getBlockByNumber`` answer: ``(True, hash)``, ``(True, None)`` for "no
    such block", or ``(False, None)`` for an error or an answer of a shape not known here."""
    if not isinstance(response, dict) or "error" in response or "result" not in response:
        return False, None
    return _hash_of_block(response["result"])


def _hash_of_block(block: object) -> tuple[bool, bytes | None]:
    """The same reading for the ``result`` of that answer (a block object or null)."""
    if block is None:
        return True, None
    block_hash = block.get("hash") if isinstance(block, dict) else None
    if isinstance(block_hash, bytes):
        return True, block_hash
    if isinstance(block_hash, str) and block_hash.startswith(("0x", "0X")):
        try:
            return True, bytes.fromhex(block_hash[2:])
        except ValueError:
            return False, None
    return False, None


#: ``headsRoot()``'s selector: the first four bytes of keccak256("headsRoot()").
HEADS_ROOT_SELECTOR = "0x" + keccak(b"headsRoot()")[:4].hex()


def _read_heads_root(chain: ChainClient) -> bytes:
    """The registry's current heads root, asked on every verification of a rules-v2 lot.

    Like the canary block, a JSON-RPC node is asked directly with one ``eth_call`` on a
    kept-alive connection: through web3 the same read costs three round trips (its validation
    middleware asks for the chain id twice) and ~4 ms of CPU. Any answer that is not a plain
    32-byte word goes through web3, so failures raise the mapped errors they always did.
    """
    provider = chain.w3.provider
    address = chain.contract_address
    if isinstance(provider, HTTPProvider) and address is not None:
        reader = light_rpc_for(str(provider.endpoint_uri), timeout=DEFAULT_HTTP_TIMEOUT_S)
        if reader is not None:
            try:
                result = reader.call(
                    "eth_call", [{"to": address, "data": HEADS_ROOT_SELECTOR}, "latest"]
                )
            except LightRpcFailed:
                result = None
            if isinstance(result, str) and len(result) == 66 and result.startswith("0x"):
                try:
                    return bytes.fromhex(result[2:])
                except ValueError:
                    pass
    return chain.heads_root()
