"""Leaves, nodes, the Merkle tree and its proofs (rules 4–7), laid out as OpenZeppelin does.

Layout (``@openzeppelin/merkle-tree`` StandardMerkleTree, so both produce the same root): leaves
sorted ascending, an array of ``2n - 1`` nodes with the leaves at the end in reverse order
(the smallest leaf last), node ``i`` the parent of ``2i + 1`` and ``2i + 2``, every parent the
Keccak of its sorted children (``MerkleProof`` on chain). A single leaf is its own root with an
empty proof. Duplicate leaves are accepted, as OpenZeppelin accepts them; a proof for a
duplicated leaf is the one OpenZeppelin's lookup returns (the copy nearest the root).

Speed: ``abi.encode(bytes32, bytes32)`` is just the 64-byte concatenation, so a leaf is two
Keccak calls and a node one; the loops below call the Keccak constructor directly and compute
all proofs top-down, each node's path being its sibling followed by its parent's path.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence

from backend.hashing.errors import EmptyTree, InvalidNode, LeafNotInTree
from backend.hashing.keccak import new_keccak

HASH_SIZE = 32


def _bytes32(value: object, what: str) -> bytes:
    if type(value) is bytes and len(value) == HASH_SIZE:
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        as_bytes = bytes(value)
        if len(as_bytes) == HASH_SIZE:
            return as_bytes
        raise InvalidNode(f"{what} must be 32 bytes, got {len(as_bytes)}")
    raise InvalidNode(f"{what} must be 32 bytes, got {type(value).__name__}")


def leaf_hash(lot_key: bytes, event_hash: bytes) -> bytes:
    """keccak256(keccak256(abi.encode(bytes32 lot_key, bytes32 event_hash))) (rule 4)."""
    pair = _bytes32(lot_key, "lot_key") + _bytes32(event_hash, "event_hash")
    return new_keccak(new_keccak(pair).digest()).digest()


def leaf_hashes(pairs: Iterable[tuple[bytes, bytes]]) -> list[bytes]:
    """:func:`leaf_hash` over many ``(lot_key, event_hash)`` pairs, for building a batch."""
    keccak = new_keccak
    out = []
    for key, event in pairs:
        if type(key) is not bytes or type(event) is not bytes or len(key) + len(event) != 64:
            key, event = _bytes32(key, "lot_key"), _bytes32(event, "event_hash")
        out.append(keccak(keccak(key + event).digest()).digest())
    return out


def node_hash(a: bytes, b: bytes) -> bytes:
    """keccak256(min(a, b) ‖ max(a, b)) (rule 5), the order-free pair hash of ``MerkleProof``."""
    a, b = _bytes32(a, "node"), _bytes32(b, "node")
    return new_keccak(a + b if a < b else b + a).digest()


def verify_proof(proof: Sequence[bytes], root: bytes, leaf: bytes) -> bool:
    """True when folding ``proof`` onto ``leaf`` gives ``root`` (as ``MerkleProof.verify``).

    A proof that does not hold gives False; an element that is not 32 bytes is malformed input
    and raises :class:`InvalidNode`, as OpenZeppelin's library throws on it.
    """
    keccak = new_keccak
    computed = _bytes32(leaf, "leaf")
    for element in proof:
        sibling = _bytes32(element, "proof element")
        pair = computed + sibling if computed < sibling else sibling + computed
        computed = keccak(pair).digest()
    return computed == _bytes32(root, "root")


class MerkleTree:
    """An immutable StandardMerkleTree over 32-byte leaves; build it with :meth:`build`."""

    __slots__ = ("_nodes", "_sorted", "root")

    root: bytes

    def __init__(self, nodes: list[bytes], sorted_leaves: list[bytes]) -> None:
        self._nodes = nodes
        self._sorted = sorted_leaves
        self.root = nodes[0]

    @classmethod
    def build(cls, leaves: Sequence[bytes]) -> MerkleTree:
        """Sort the leaves and hash the tree; raises :class:`EmptyTree` for no leaves."""
        ordered = list(leaves)
        if not ordered:
            raise EmptyTree("a Merkle tree needs at least one leaf")
        if set(map(type, ordered)) != {bytes} or set(map(len, ordered)) != {HASH_SIZE}:
            ordered = [_bytes32(leaf, "leaf") for leaf in ordered]
        ordered.sort()
        count = len(ordered)
        nodes = [b""] * (count - 1) + ordered[::-1]
        keccak = new_keccak
        for index in range(count - 2, -1, -1):
            left = nodes[2 * index + 1]
            right = nodes[2 * index + 2]
            nodes[index] = keccak(left + right if left < right else right + left).digest()
        return cls(nodes, ordered)

    def __len__(self) -> int:
        return len(self._sorted)

    @property
    def leaves(self) -> tuple[bytes, ...]:
        """The leaves in ascending order (the tree holds them reversed at the end)."""
        return tuple(self._sorted)

    @property
    def nodes(self) -> tuple[bytes, ...]:
        """The whole ``2n - 1`` node array, root first, as OpenZeppelin dumps it."""
        return tuple(self._nodes)

    def index_of(self, leaf: bytes) -> int:
        """Position of ``leaf`` in the node array (for a duplicate: the one nearest the root)."""
        leaf = _bytes32(leaf, "leaf")
        rank = bisect_right(self._sorted, leaf) - 1
        if rank < 0 or self._sorted[rank] != leaf:
            raise LeafNotInTree(f"leaf 0x{leaf.hex()} is not in this tree")
        return len(self._nodes) - 1 - rank

    def proof(self, leaf: bytes) -> list[bytes]:
        """Sibling hashes from ``leaf`` up to (not including) the root."""
        nodes = self._nodes
        index = self.index_of(leaf)
        path = []
        while index > 0:
            path.append(nodes[index + 1 if index & 1 else index - 1])
            index = (index - 1) >> 1
        return path

    def proofs(self) -> dict[bytes, list[bytes]]:
        """Every leaf's proof at once, in O(n log n) list copying done by C code."""
        nodes = self._nodes
        size = len(nodes)
        paths: list[tuple[bytes, ...]] = [()] * size
        for index in range(1, size):
            sibling = nodes[index + 1 if index & 1 else index - 1]
            paths[index] = (sibling, *paths[(index - 1) >> 1])
        # Walk leaves from the far end so a duplicate keeps the proof nearest the root.
        return {nodes[i]: list(paths[i]) for i in range(size - 1, len(self._sorted) - 2, -1)}
