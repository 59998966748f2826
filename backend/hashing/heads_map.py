"""The lot heads map, maintained incrementally over a :class:`NodeStore` (rules v2, item 3).

The anchoring worker moves the heads of the ``k`` lots a batch touched; rebuilding a map of every
lot for that would cost the whole map each time. Here an update walks one path: it rehashes each
level between the leaf and the root once (256 hashes for a lot already in the map, at most twice
that for a new one, which also lifts the subtree it parts from), reads and writes only the
records on that path, and a proof is read off the same path. See
:mod:`backend.hashing.heads_store` for what is stored and why, and :mod:`backend.hashing.heads`
for the leaf, node and folding rules themselves.

Not thread-safe: one writer at a time, as the anchoring worker holds its lock.
"""

from __future__ import annotations

from collections.abc import Iterable

from backend.hashing.errors import HashingError, InvalidNode
from backend.hashing.heads import DEPTH, ZERO, HeadProof, head_leaf, key_number
from backend.hashing.heads_store import Child, MemoryNodeStore, Node, NodeStore
from backend.hashing.keccak import new_keccak
from backend.hashing.merkle import _bytes32

# One step of a walk from the root: (height, prefix, node, side taken below it: 0 left, 1 right).
_Step = tuple[int, int, Node, int]


class HeadsMap:
    """A sparse Merkle map from lot_key to head leaf, whose nodes live in ``store``.

    A map over a store that already holds records continues from them: opening one costs
    nothing, and its root is the stored root record's hash.
    """

    __slots__ = ("_store",)

    def __init__(self, store: NodeStore | None = None) -> None:
        self._store: NodeStore = MemoryNodeStore() if store is None else store

    @classmethod
    def from_heads(
        cls, heads: Iterable[tuple[bytes, bytes, int]], store: NodeStore | None = None
    ) -> HeadsMap:
        """A map holding ``(lot_key, head_hash, seq)`` heads, built from scratch (for audits)."""
        built = cls(store)
        built.set_heads(heads)
        return built

    @property
    def store(self) -> NodeStore:
        return self._store

    @property
    def root(self) -> bytes:
        """``heads_root``: zero for the empty map."""
        node = self._store.get(DEPTH, 0)
        return ZERO if node is None else node.hash

    def leaf(self, lot_key: bytes) -> bytes:
        """The head leaf stored for ``lot_key``, or zero when the lot has no head."""
        node = self._store.get(0, key_number(lot_key))
        return ZERO if node is None else node.hash

    def set_head(self, lot_key: bytes, head_hash: bytes, seq: int) -> bytes:
        """Make ``(head_hash, seq)`` the head of ``lot_key``; returns the new root."""
        self.set_leaf(lot_key, head_leaf(lot_key, head_hash, seq))
        return self.root

    def set_heads(self, heads: Iterable[tuple[bytes, bytes, int]]) -> bytes:
        """:meth:`set_head` for each ``(lot_key, head_hash, seq)`` in turn; returns the new root."""
        for lot_key, head_hash, seq in heads:
            self.set_leaf(lot_key, head_leaf(lot_key, head_hash, seq))
        return self.root

    def set_leaf(self, lot_key: bytes, leaf: bytes) -> None:
        """Store ``leaf`` at ``lot_key`` and rehash its path (a zero leaf: use :meth:`remove`)."""
        key = key_number(lot_key)
        if _bytes32(leaf, "leaf") == ZERO:
            raise InvalidNode("a zero leaf means no head: remove the lot instead")
        path: list[_Step] = []
        height, prefix, node = DEPTH, 0, self._store.get(DEPTH, 0) or Node(ZERO, None, None)
        while True:
            side = key >> (height - 1) & 1
            path.append((height, prefix, node, side))
            child = node.right if side else node.left
            if child is None:  # only the root has an empty side
                link = self._put_leaf(key, leaf, height)
                break
            if key >> child.height != child.prefix:  # the lot leaves this child's path
                link = self._branch(key, leaf, child, height)
                break
            if child.height == 0:  # the lot itself: a new head
                link = self._put_leaf(key, leaf, height)
                break
            height, prefix, node = child.height, child.prefix, self._node(child)
        self._ascend(path, link, key)

    def remove(self, lot_key: bytes) -> bool:
        """Take ``lot_key``'s head out of the map; False when it had none.

        Heads are never removed in normal operation (a lot once anchored keeps its head); this
        is for repairs and tests, and keeps the store minimal: the branching node the lot
        leaves behind is dropped and its other child linked from the grandparent directly.
        """
        key = key_number(lot_key)
        path: list[_Step] = []
        height, prefix, node = DEPTH, 0, self._store.get(DEPTH, 0)
        while node is not None:
            side = key >> (height - 1) & 1
            child = node.right if side else node.left
            if child is None or key >> child.height != child.prefix:
                return False
            path.append((height, prefix, node, side))
            if child.height == 0:
                break
            height, prefix, node = child.height, child.prefix, self._node(child)
        else:
            return False
        self._store.delete(0, key)
        height, prefix, node, side = path.pop()
        other = node.left if side else node.right
        if not path or other is None:  # the parent is the root: it just loses one side
            path.append((height, prefix, node, side))
            self._ascend(path, None, key)
            return True
        # A branching node left with one child is no longer stored: its parent links past it,
        # with the child's value hashed on up along the child's own path.
        self._store.delete(height, prefix)
        value = _lift(other.value, other.prefix << other.height, height - 1, path[-1][0] - 1)
        link = Child(other.height, other.prefix, value)
        self._ascend(path, link, key)
        return True

    def proof(self, lot_key: bytes) -> HeadProof:
        """The head proof for ``lot_key``: of its leaf when it has a head, of zero when not."""
        key = key_number(lot_key)
        node = self._store.get(DEPTH, 0)
        bitmap, siblings, height = 0, [], DEPTH
        while node is not None:
            side = key >> (height - 1) & 1
            child, other = (node.right, node.left) if side else (node.left, node.right)
            if other is not None:
                bitmap |= 1 << (height - 1)
                siblings.append(other.value)
            if child is None or (child.height == 0 and child.prefix == key):
                break
            if key >> child.height != child.prefix:
                # The lot's own subtree is empty from where its path leaves the child's: the
                # child, hashed up to that height, is the one non-zero sibling below here.
                parting = child.height + ((key >> child.height) ^ child.prefix).bit_length() - 1
                bitmap |= 1 << parting
                siblings.append(
                    _lift(
                        self._node(child).hash, child.prefix << child.height, child.height, parting
                    )
                )
                break
            height, node = child.height, self._node(child)
        return HeadProof(bitmap, tuple(reversed(siblings)))

    def _node(self, child: Child) -> Node:
        node = self._store.get(child.height, child.prefix)
        if node is None:
            raise HashingError(
                f"heads map store is missing node ({child.height}, {child.prefix:#x})"
            )
        return node

    def _put_leaf(self, key: int, leaf: bytes, parent_height: int) -> Child:
        self._store.put(0, key, Node(leaf, None, None))
        return Child(0, key, _lift(leaf, key, 0, parent_height - 1))

    def _branch(self, key: int, leaf: bytes, child: Child, parent_height: int) -> Child:
        """A new branching node where ``key``'s path parts from ``child``'s; its link upward."""
        height = child.height + ((key >> child.height) ^ child.prefix).bit_length()
        below = self._node(child).hash
        theirs = Child(
            child.height,
            child.prefix,
            _lift(below, child.prefix << child.height, child.height, height - 1),
        )
        self._store.put(0, key, Node(leaf, None, None))
        ours = Child(0, key, _lift(leaf, key, 0, height - 1))
        left, right = (theirs, ours) if key >> (height - 1) & 1 else (ours, theirs)
        prefix = key >> height
        branch = Node(new_keccak(left.value + right.value).digest(), left, right)
        self._store.put(height, prefix, branch)
        return Child(height, prefix, _lift(branch.hash, key, height, parent_height - 1))

    def _ascend(self, path: list[_Step], link: Child | None, key: int) -> None:
        """Put ``link`` on the last step's side and rehash every step up to the root."""
        for index in range(len(path) - 1, -1, -1):
            height, prefix, node, side = path[index]
            left, right = (node.left, link) if side else (link, node.right)
            if left is None and right is None:  # the root of a map that is now empty
                self._store.delete(height, prefix)
                return
            pair = (ZERO if left is None else left.value) + (ZERO if right is None else right.value)
            node = Node(new_keccak(pair).digest(), left, right)
            self._store.put(height, prefix, node)
            if index:
                link = Child(height, prefix, _lift(node.hash, key, height, path[index - 1][0] - 1))


def _lift(value: bytes, key: int, height: int, top: int) -> bytes:
    """The value at ``top`` of a path whose only non-empty node at ``height`` is ``value``.

    Each level above pairs the node with an empty sibling, on the side ``key``'s bit says.
    """
    keccak = new_keccak
    for level in range(height, top):
        value = keccak(ZERO + value if key >> level & 1 else value + ZERO).digest()
    return value
