"""The reads every verification makes, asked of a JSON-RPC node directly when it can be.

The head block (its number and hash), the canary block's hash and the registry's heads root
are read on every verification of a rules-v2 lot; through web3 each costs several round trips
and milliseconds of CPU, so a plain JSON-RPC node is asked with one request on a kept-alive
connection (``light_rpc``). Any answer of a shape not known here goes through web3, so failures
raise the mapped errors they always did.
"""

from __future__ import annotations

from dataclasses import dataclass

from web3 import HTTPProvider
from web3.exceptions import BlockNotFound

from backend.chain import ChainClient, ChainUnavailable, translate_errors
from backend.chain.light_rpc import LightRpc, LightRpcFailed, light_rpc_for
from backend.chain.providers import DEFAULT_HTTP_TIMEOUT_S
from backend.hashing import keccak


@dataclass(frozen=True)
class Head:
    """The block a request verifies at: its number, and its hash (which names its state)."""

    number: int
    hash: bytes


def _light_reader(chain: ChainClient) -> LightRpc | None:
    """The kept-alive JSON-RPC reader of the chain's node, when it is a plain HTTP node (the
    in-process chain wants web3's formatting)."""
    provider = chain.w3.provider
    if not isinstance(provider, HTTPProvider):
        return None
    return light_rpc_for(str(provider.endpoint_uri), timeout=DEFAULT_HTTP_TIMEOUT_S)


def read_head(chain: ChainClient) -> Head:
    """The node's newest block, read once per request: every state read of the request is made
    at its number, and answers read at it are remembered by its hash (``block_memo``)."""
    reader = _light_reader(chain)
    if reader is not None:
        try:
            block = reader.call("eth_getBlockByNumber", ["latest", False])
        except LightRpcFailed:
            block = None
        understood, block_hash = _hash_of_block(block)
        number = block.get("number") if isinstance(block, dict) else None
        if understood and block_hash is not None and isinstance(number, str):
            try:
                return Head(int(number, 16), block_hash)
            except ValueError:
                pass
    with translate_errors(endpoint=chain.endpoint):
        formatted = chain.w3.eth.get_block("latest")
    found = formatted.get("hash")
    if found is None or formatted.get("number") is None:
        raise ChainUnavailable(f"{chain.endpoint}: the node names no latest block")
    return Head(int(formatted["number"]), bytes(found))


def block_hash(chain: ChainClient, number: int) -> bytes | None:
    """The hash of block ``number``, or None when the node has no such block.

    Asked on every verification (the canary), so a JSON-RPC node is asked directly: the same
    ``eth_getBlockByNumber`` request on a kept-alive connection (``light_rpc``), without web3's
    middleware, block formatters and ``requests`` session, which cost several times the round
    trip itself. Anything that is not a plain result (an error, a refused connection, a shape
    we do not know) is asked again through web3, so failures raise exactly the mapped errors
    they always did.
    """
    reader = _light_reader(chain)
    if reader is not None:
        try:
            result = reader.call("eth_getBlockByNumber", [hex(number), False])
        except LightRpcFailed:
            pass
        else:
            understood, found = _hash_of_block(result)
            if understood:
                return found
    with translate_errors(endpoint=chain.endpoint):
        try:
            block = chain.w3.eth.get_block(number)
        except BlockNotFound:
            return None
    formatted = block.get("hash")
    return bytes(formatted) if formatted is not None else None


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


def _read_heads_root(chain: ChainClient, block: int | None = None) -> bytes:
    """The registry's heads root at ``block`` (None: the latest), read for every verification
    of a rules-v2 lot (once per block: see ``ChainView.heads_root``).

    Like the canary block, a JSON-RPC node is asked directly with one ``eth_call`` on a
    kept-alive connection: through web3 the same read costs three round trips (its validation
    middleware asks for the chain id twice) and ~4 ms of CPU. Any answer that is not a plain
    32-byte word goes through web3, so failures raise the mapped errors they always did.
    """
    reader = _light_reader(chain)
    address = chain.contract_address
    at = "latest" if block is None else hex(block)
    if reader is not None and address is not None:
        try:
            result = reader.call("eth_call", [{"to": address, "data": HEADS_ROOT_SELECTOR}, at])
        except LightRpcFailed:
            result = None
        if isinstance(result, str) and len(result) == 66 and result.startswith("0x"):
            try:
                return bytes.fromhex(result[2:])
            except ValueError:
                pass
    return chain.heads_root(block=block)
