"""Leaves, nodes, the Merkle tree and its proofs (rules 4–7), laid out as OpenZeppelin does.

Layout (``@openzeppelin/merkle-tree`` StandardMerkleTree, so both produce the same root): leaves
sorted ascending, an array of ``2n - 1`` nodes with the leaves at the end in reverse order
(the smallest leaf last), node ``i`` the parent of ``2i + 1`` and ``2i + 2``, every parent the
Keccak of its sorted children (``MerkleProof`` on chain). A single leaf is its own root with an
empty proof. Duplicate leaves are accepted, as OpenZeppelin accepts them; a proof for a
duplicated leaf is the one OpenZeppelin's lookup returns (the copy nearest the root).

Speed: ``abi.encode(bytes32, bytes32)`` is just the 64-byte concatenation, so a leaf is two
Keccak calls and a node one. The tree is hashed in bands of parents whose children are all done
(see ``_bands``), each band one comprehension over two strided slices, and all proofs are built
top down the same way; Keccak goes through the fastest backend's constructor directly.
"""

from __future__ import annotations

import gc
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache

import orjson

from backend.hashing.errors import EmptyTree, InvalidNode, LeafNotInTree
from backend.hashing.hexcodec import from_hex
from backend.hashing.keccak import new_keccak
from backend.hashing.memo import DigestMemo

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

    The fold is a pure function of its three inputs and every verification of a lot folds the
    same proofs again, so its answers are remembered, keyed by exactly those inputs (plain
    ``bytes`` only: anything else is folded afresh, and what raises is never remembered).
    """
    if type(root) is bytes and type(leaf) is bytes:
        elements = tuple(proof)
        if all(type(element) is bytes for element in elements):
            return _remembered_fold(elements, root, leaf)
    return _fold(proof, root, leaf)


@lru_cache(maxsize=8192)
def _remembered_fold(proof: tuple[bytes, ...], root: bytes, leaf: bytes) -> bool:
    return _fold(proof, root, leaf)


def verify_stored_proof(proof: Sequence[str], root: str, leaf: bytes) -> bool:
    """:func:`verify_proof` for a proof and root as the database stores them (``0x`` hex text).

    Remembered by the exact strings and leaf, like :func:`verify_proof`, so folding a stored
    proof again parses nothing either. An element or root that is not ``0x`` bytes32 text
    raises :class:`~backend.hashing.errors.HashingError`, and what raises is never remembered.
    """
    if type(root) is str and type(leaf) is bytes:
        elements = tuple(proof)
        if {*map(type, elements)} <= _TEXT_ONLY:  # all text (or none): one C pass
            return _remembered_stored_fold(elements, root, leaf)
    return verify_proof([from_hex(element) for element in proof], from_hex(root), leaf)


_TEXT_ONLY = frozenset({str})


@lru_cache(maxsize=8192)
def _remembered_stored_fold(proof: tuple[str, ...], root: str, leaf: bytes) -> bool:
    """First memo, by the exact inputs; behind it a larger one by their digest (a stored proof
    is 1–2 KB of text, its digest 32 bytes), so a long ancestry's proofs are not folded again."""
    if len(leaf) != 32:
        return _fold([from_hex(element) for element in proof], from_hex(root), leaf)
    # JSON of [root, proof] is unambiguous, and the leaf has a fixed length after it.
    key = new_keccak(orjson.dumps([root, proof]) + leaf).digest()
    answer = _stored_fold_digests.get(key)
    if answer is None:
        answer = _fold([from_hex(element) for element in proof], from_hex(root), leaf)
        _stored_fold_digests.put(key, answer)
    return answer


#: Stored proofs already folded, by digest of (root, proof, leaf): room for every event of a
#: lot whose ancestors hold tens of thousands (about 100 bytes an entry).
_stored_fold_digests = DigestMemo(maxsize=65_536)


def _fold(proof: Sequence[bytes], root: bytes, leaf: bytes) -> bool:
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
        for first, last in _bands(count):
            lefts = nodes[2 * first + 1 : 2 * last + 2 : 2]
            rights = nodes[2 * first + 2 : 2 * last + 3 : 2]
            nodes[first : last + 1] = [
                keccak(left + right if left < right else right + left).digest()
                for left, right in zip(lefts, rights, strict=True)
            ]
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
        """Every leaf's proof at once: each node's path is its sibling, then its parent's path.

        Paths are shared tuples filled band by band from the root down, so the work is slice
        copies done by C code rather than a Python loop per proof element.
        """
        with _collector_paused():
            return self._all_proofs()

    def _all_proofs(self) -> dict[bytes, list[bytes]]:
        nodes = self._nodes
        count = len(self._sorted)
        paths: list[tuple[bytes, ...]] = [()] * len(nodes)
        for first, last in reversed(_bands(count)):
            above = paths[first : last + 1]
            lefts = nodes[2 * first + 1 : 2 * last + 2 : 2]
            rights = nodes[2 * first + 2 : 2 * last + 3 : 2]
            paths[2 * first + 1 : 2 * last + 2 : 2] = [
                (right,) + path  # noqa: RUF005 - concatenation is ~30% faster here
                for path, right in zip(above, rights, strict=True)
            ]
            paths[2 * first + 2 : 2 * last + 3 : 2] = [
                (left,) + path  # noqa: RUF005
                for path, left in zip(above, lefts, strict=True)
            ]
        # Leaves from the far end, so that a duplicate keeps the copy nearest the root.
        leaves = nodes[count - 1 :][::-1]
        return dict(zip(leaves, map(list, paths[count - 1 :][::-1]), strict=True))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building proofs.

    A large batch allocates hundreds of thousands of tuples and lists of bytes at once, which
    cannot form cycles but trigger collections over the whole heap: pausing halves the time of
    :meth:`MerkleTree.proofs` for 100,000 leaves. The previous state is restored, and a
    collector that was already off is left off.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _bands(count: int) -> list[tuple[int, int]]:
    """Ranges ``(first, last)`` of parent indices, bottom band first, for ``count`` leaves.

    Every child of a band (indices ``2*first + 1`` to ``2*last + 2``) lies above ``last``, so a
    band can be hashed in one pass once the bands below it are done (and, top down, its paths
    filled once the bands above are).
    """
    bands = []
    last = count - 2
    while last >= 0:
        first = (last + 1) // 2
        bands.append((first, last))
        last = first - 1
    return bands
