"""Asking the chain, for the offline verifier: plain ``eth_call`` over JSON-RPC, nothing else.

The verifier trusts no SenTrace code beyond the public hashing rules, so it does not use
:class:`~backend.chain.ChainClient` (which signs, deploys and needs the full compiled artifact):
a few view functions of the registry are all it asks, through :class:`Registry`, which tests
can replace with a fake chain. ``anchorOf``, ``verify`` and ``isRecalled`` are the same on rules
v1 registries (TraceRegistryV1); ``headsRoot``, ``verifyHead`` and ``verifyNoHead`` exist from
rules v2 on, ``signerOf`` from signed events on. A test keeps every entry equal to the committed
artifacts. Besides calls, only the registry's ``BatchAnchored`` logs are read, to tell a heads
root the registry once held (an out-of-date bundle) from one it never held (a forged one), in
the bounded block ranges of :mod:`backend.chain.log_ranges` (a small algorithm that neither
signs nor needs an artifact).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from eth_utils import keccak, to_checksum_address
from web3 import HTTPProvider, Web3

from backend.chain.log_ranges import DEFAULT_MAX_LOG_RANGE, LogRanges

#: The registry functions an outside verifier needs, and nothing else.
REGISTRY_ABI: list[dict[str, Any]] = [
    {
        "type": "function",
        "name": "anchorOf",
        "stateMutability": "view",
        "inputs": [{"name": "root", "type": "bytes32"}],
        "outputs": [
            {"name": "timestamp", "type": "uint64"},
            {"name": "eventCount", "type": "uint32"},
            {"name": "anchorer", "type": "address"},
        ],
    },
    {
        "type": "function",
        "name": "verify",
        "stateMutability": "view",
        "inputs": [
            {"name": "proof", "type": "bytes32[]"},
            {"name": "root", "type": "bytes32"},
            {"name": "lotKey", "type": "bytes32"},
            {"name": "eventHash", "type": "bytes32"},
        ],
        "outputs": [{"name": "", "type": "bool"}],
    },
    {
        "type": "function",
        "name": "isRecalled",
        "stateMutability": "view",
        "inputs": [{"name": "lotKey", "type": "bytes32"}],
        "outputs": [{"name": "", "type": "bool"}],
    },
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
    },
    {
        "type": "function",
        "name": "headsRoot",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [{"name": "", "type": "bytes32"}],
    },
    {
        "type": "function",
        "name": "verifyHead",
        "stateMutability": "view",
        "inputs": [
            {"name": "lotKey", "type": "bytes32"},
            {"name": "headHash", "type": "bytes32"},
            {"name": "seq", "type": "uint64"},
            {"name": "bitmap", "type": "uint256"},
            {"name": "siblings", "type": "bytes32[]"},
        ],
        "outputs": [{"name": "", "type": "bool"}],
    },
    {
        "type": "function",
        "name": "verifyNoHead",
        "stateMutability": "view",
        "inputs": [
            {"name": "lotKey", "type": "bytes32"},
            {"name": "bitmap", "type": "uint256"},
            {"name": "siblings", "type": "bytes32[]"},
        ],
        "outputs": [{"name": "", "type": "bool"}],
    },
]

RPC_TIMEOUT_S = 10.0


class ChainUnreachable(Exception):
    """The node did not answer; the message says why."""


#: A head proof as ``verifyHead`` takes it: (bitmap, siblings).
HeadProofArgs = tuple[int, Sequence[bytes]]
#: topic0 of ``BatchAnchored(bytes32 indexed root, bytes32 indexed headsRoot, uint32)``.
BATCH_ANCHORED_TOPIC = keccak(text="BatchAnchored(bytes32,bytes32,uint32)")


class Registry(Protocol):
    """What the checker asks of the chain (a JSON-RPC node in practice). All but the first
    five are asked of rules v2 bundles only."""

    def chain_id(self) -> int: ...
    def has_code(self) -> bool: ...
    def is_anchored(self, root: bytes) -> bool: ...
    def verify(self, proof: Sequence[bytes], root: bytes, lot_key: bytes, event: bytes) -> bool: ...
    def is_recalled(self, lot_key: bytes) -> bool: ...
    def code_hash(self) -> bytes: ...
    def heads_root(self) -> bytes: ...
    def verify_head(
        self, lot_key: bytes, head_hash: bytes, seq: int, proof: HeadProofArgs
    ) -> bool: ...
    def verify_no_head(self, lot_key: bytes, proof: HeadProofArgs) -> bool: ...
    def heads_root_block(self, heads_root: bytes, *, from_block: int = 0) -> int | None: ...
    def anchor_timestamp(self, root: bytes) -> int: ...
    def signer_of(self, org_key: bytes, signer: str) -> tuple[int, int, int]: ...


class RpcRegistry:
    """The registry at ``address`` on the node at ``rpc_url``, read with ``eth_call`` only."""

    def __init__(
        self,
        rpc_url: str,
        address: str,
        *,
        timeout: float = RPC_TIMEOUT_S,
        max_log_range: int = DEFAULT_MAX_LOG_RANGE,
    ) -> None:
        self.rpc_url = rpc_url
        self.address = to_checksum_address(address)
        provider = HTTPProvider(
            rpc_url, request_kwargs={"timeout": timeout}, exception_retry_configuration=None
        )
        self._w3 = Web3(provider)
        self._contract = self._w3.eth.contract(address=self.address, abi=REGISTRY_ABI)
        self._ranges = LogRanges(max_log_range)

    def _call(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except (OSError, ValueError) as exc:  # requests' errors are OSErrors; RPC errors Values
            raise ChainUnreachable(str(exc)) from exc

    def chain_id(self) -> int:
        return int(self._call(lambda: self._w3.eth.chain_id))

    def has_code(self) -> bool:
        return len(self._call(lambda: self._w3.eth.get_code(self.address))) > 0

    def is_anchored(self, root: bytes) -> bool:
        return self.anchor_timestamp(root) != 0

    def anchor_timestamp(self, root: bytes) -> int:
        """The block time the registry recorded for ``root``'s anchor (0: not anchored)."""
        timestamp, _count, _anchorer = self._call(
            lambda: self._contract.functions.anchorOf(root).call()
        )
        return int(timestamp)

    def signer_of(self, org_key: bytes, signer: str) -> tuple[int, int, int]:
        """``signerOf``: (since, until, custody) of ``signer`` for ``org_key`` (rules v2 with
        signed events; zeros for a key never registered)."""
        fn = self._contract.functions.signerOf(org_key, to_checksum_address(signer))
        since, until, custody = self._call(fn.call)
        return int(since), int(until), int(custody)

    def verify(self, proof: Sequence[bytes], root: bytes, lot_key: bytes, event: bytes) -> bool:
        return bool(
            self._call(
                lambda: self._contract.functions.verify(list(proof), root, lot_key, event).call()
            )
        )

    def is_recalled(self, lot_key: bytes) -> bool:
        return bool(self._call(lambda: self._contract.functions.isRecalled(lot_key).call()))

    def code_hash(self) -> bytes:
        """keccak256 of the code at the registry's address, to compare with a published build."""
        return keccak(bytes(self._call(lambda: self._w3.eth.get_code(self.address))))

    def heads_root(self) -> bytes:
        """The registry's current heads root (rules v2 registries only)."""
        return bytes(self._call(lambda: self._contract.functions.headsRoot().call()))

    def verify_head(self, lot_key: bytes, head_hash: bytes, seq: int, proof: HeadProofArgs) -> bool:
        """The registry's own fold of a head ``proof`` (bitmap, siblings) against its root."""
        bitmap, siblings = proof
        fn = self._contract.functions.verifyHead(lot_key, head_hash, seq, bitmap, list(siblings))
        return bool(self._call(fn.call))

    def verify_no_head(self, lot_key: bytes, proof: HeadProofArgs) -> bool:
        """The registry's check that ``lot_key`` has no head (a zero leaf folds to its root)."""
        bitmap, siblings = proof
        fn = self._contract.functions.verifyNoHead(lot_key, bitmap, list(siblings))
        return bool(self._call(fn.call))

    def heads_root_block(self, heads_root: bytes, *, from_block: int = 0) -> int | None:
        """The first block in which an anchor made ``heads_root`` current; None when none did.

        Read from the ``BatchAnchored`` logs (``headsRoot`` is indexed), so a heads root that
        is not the current one can be told apart: once held (the bundle is out of date) or
        never held (forged). Nodes cap log queries, so the blocks are read oldest first in
        bounded ranges (``log_ranges``), up to the first that holds such a log.
        """
        query = {"address": self.address, "topics": [BATCH_ANCHORED_TOPIC, None, heads_root]}

        def fetch(first: int, last: int) -> list[Any]:
            bounded = {**query, "fromBlock": first, "toBlock": last}
            return list(self._w3.eth.get_logs(bounded))  # type: ignore[arg-type]

        def scan() -> list[Any]:
            head = int(self._w3.eth.block_number)
            return self._ranges.scan(fetch, from_block, head, until_found=True).logs

        logs = self._call(scan)
        return min((int(log["blockNumber"]) for log in logs), default=None)
