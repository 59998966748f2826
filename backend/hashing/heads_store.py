"""Where a heads map keeps its nodes: a small storage interface and the in-memory store.

The map of rules v2 has 2**256 leaf positions, but only the nodes where two present lots part
ways (branching nodes), the leaves themselves and the root are worth keeping: every other
non-empty node lies on a path that holds a single lot, and is that lot's leaf (or a branching
node below) hashed up through zero siblings. So a map of ``n`` lots stores ``2n`` records at
most, each keyed by ``(height, prefix)``, where ``prefix`` is ``lot_key >> height`` for every
lot below the node (the root is ``(256, 0)``; a leaf is ``(0, lot_key)``).

An inner record links to the next stored node on each side and remembers that node's value
already hashed up to just below the parent (:attr:`Child.value`). That cached lift is what lets
an update rehash only its own path: without it, every level of an update would lift the other
side again, up to 255 hashes each time. A store that persists records (an SQL table keyed by
height and prefix, say) lets a map reopen in O(1): nothing is recomputed at start-up.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

from backend.hashing.errors import HashingError

_HASH = 32
_PREFIX = 32


class Child(NamedTuple):
    """A link from an inner node to the next stored node on one side."""

    height: int  # the linked node's height (0 for a leaf)
    prefix: int  # its path prefix: lot_key >> height for every lot below it
    value: bytes  # its subtree's value hashed up to the parent's height - 1 (never zero)


class Node(NamedTuple):
    """A stored node: a leaf (no children) or an inner node (one child only at the root)."""

    hash: bytes  # the subtree's value at this node's height (the head leaf, for a leaf)
    left: Child | None
    right: Child | None


class NodeStore(Protocol):
    """Node storage for :class:`~backend.hashing.heads_map.HeadsMap`, keyed by (height, prefix).

    ``height`` is 0–256 and ``prefix`` an integer below ``2**(256 - height)`` (so it fits in 32
    bytes). The map calls these within one update at a time; making an update atomic (one
    database transaction around it) is the caller's business.
    """

    def get(self, height: int, prefix: int) -> Node | None: ...

    def put(self, height: int, prefix: int, node: Node) -> None: ...

    def delete(self, height: int, prefix: int) -> None: ...


class MemoryNodeStore:
    """A :class:`NodeStore` in a dict, for tests, audits (``heads rebuild``) and small maps."""

    __slots__ = ("_nodes",)

    def __init__(self) -> None:
        # One integer key per node (prefix and height packed) costs less than a tuple per node.
        self._nodes: dict[int, Node] = {}

    def get(self, height: int, prefix: int) -> Node | None:
        return self._nodes.get(prefix << 9 | height)

    def put(self, height: int, prefix: int, node: Node) -> None:
        self._nodes[prefix << 9 | height] = node

    def delete(self, height: int, prefix: int) -> None:
        self._nodes.pop(prefix << 9 | height, None)

    def __len__(self) -> int:
        return len(self._nodes)

    def items(self) -> list[tuple[tuple[int, int], Node]]:
        """Every record as ``((height, prefix), node)``, for copying into another store."""
        return [((key & 0x1FF, key >> 9), node) for key, node in self._nodes.items()]


def pack_node(node: Node) -> bytes:
    """A node as one byte string, for a store that keeps records in a single binary column.

    Layout: one flag byte (1 = left child present, 2 = right), the 32-byte hash, then for each
    present child, left first: its height (2 bytes), prefix (32 bytes) and value (32 bytes), all
    big-endian. A leaf packs to 33 bytes, an inner node to at most 165.
    """
    flags = (node.left is not None) | (node.right is not None) << 1
    parts = [bytes([flags]), node.hash]
    for child in (node.left, node.right):
        if child is not None:
            parts += [child.height.to_bytes(2), child.prefix.to_bytes(_PREFIX), child.value]
    return b"".join(parts)


def unpack_node(packed: bytes) -> Node:
    """The node :func:`pack_node` wrote; :class:`HashingError` for bytes of another shape."""
    flags = packed[0] if packed else 0xFF
    expected = 1 + _HASH + (flags & 1) * 66 + (flags >> 1 & 1) * 66
    if flags > 3 or len(packed) != expected:
        raise HashingError("not a packed heads-map node")
    children: list[Child | None] = []
    offset = 1 + _HASH
    for bit in (1, 2):
        if flags & bit:
            height = int.from_bytes(packed[offset : offset + 2])
            prefix = int.from_bytes(packed[offset + 2 : offset + 34])
            children.append(Child(height, prefix, packed[offset + 34 : offset + 66]))
            offset += 66
        else:
            children.append(None)
    return Node(packed[1 : 1 + _HASH], children[0], children[1])
