"""The heads map's nodes in the database, versioned by batch, behind the ``NodeStore`` protocol.

A verifier checks a lot's head proof against the heads root the chain holds now, and that root
may trail the newest batch built here (stored, not yet mined). So the map must answer as of any
batch: a batch never overwrites a node, it writes the nodes it changed as new ``HeadsNode``
rows under ``version`` = its batch id (``payload`` NULL for a node it removed), and a read "as
of version v" takes, per (height, prefix), the row with the greatest version <= v.

Once the transaction that wrote a version has committed, nothing is ever written at or below
it again (batches are built one at a time, each under a new, larger id), so what a read of
that version returns never changes. Such reads are kept in one bounded, process-wide LRU,
keyed by the database as well, without any invalidation. A store only hands its reads to
that cache when told its version is committed (:meth:`SqlNodeStore.publish`): a version still
being written may yet roll back, and on SQLite the next batch would then reuse its id.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from backend.hashing import Node
from backend.hashing.heads_store import pack_node, unpack_node
from backend.models import HeadsNode

#: Reads kept across sessions: about 25 MB of nodes, the top of the tree and a few batches.
NODE_CACHE_SIZE = 65_536

_TABLE = cast(Table, HeadsNode.__table__)
_AS_OF = (
    select(_TABLE.c.payload)
    .where(
        _TABLE.c.height == bindparam("h"),
        _TABLE.c.prefix == bindparam("p"),
        _TABLE.c.version <= bindparam("v"),
    )
    .order_by(_TABLE.c.version.desc())
    .limit(1)
)
_INSERT = _TABLE.insert().values(
    height=bindparam("b_height"),
    prefix=bindparam("b_prefix"),
    version=bindparam("b_version"),
    payload=bindparam("b_payload"),
)
_UPDATE = (
    _TABLE.update()
    .where(
        _TABLE.c.height == bindparam("b_height"),
        _TABLE.c.prefix == bindparam("b_prefix"),
        _TABLE.c.version == bindparam("b_version"),
    )
    .values(payload=bindparam("b_payload"))
)

_Slot = tuple[int, int]  # (height, prefix)
#: What :meth:`LruCache.get` returns for a key it does not hold.
MISSING = object()


class LruCache:
    """A thread-safe, bounded map that forgets the least recently used entry first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> object:
        """The value, or :data:`MISSING` (``None`` is a value here: a node known absent)."""
        with self._lock:
            value = self._entries.get(key, MISSING)
            if value is not MISSING:
                self._entries.move_to_end(key)
            return value

    def put_many(self, items: Iterable[tuple[Hashable, object]]) -> None:
        with self._lock:
            for key, value in items:
                self._entries[key] = value
                self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


#: Committed reads of every database this process uses, keyed (database, version, height, prefix).
NODE_CACHE = LruCache(NODE_CACHE_SIZE)

_tokens: weakref.WeakKeyDictionary[Engine, int] = weakref.WeakKeyDictionary()
_next_token = itertools.count(1)
_tokens_lock = threading.Lock()


def database_token(session: Session) -> int:
    """A number naming the engine behind ``session``, never reused within the process.

    Two engines on one database get two numbers (they merely share nothing); an engine's
    ``id()`` could be reused by the next engine once it is collected, which would let tests
    that each create a database read one another's nodes.
    """
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else cast(Engine, bind)
    with _tokens_lock:
        token = _tokens.get(engine)
        if token is None:
            token = _tokens[engine] = next(_next_token)
        return token


def prefix_text(prefix: int) -> str:
    """A node's prefix as stored: lowercase ``0x`` hex without leading zeros (``0x0`` for 0)."""
    return format(prefix, "#x")


class SqlNodeStore:
    """A :class:`~backend.hashing.NodeStore` over ``HeadsNode`` rows, as of ``version``.

    Reads see this store's own writes first, then the map as of ``base`` (when given: the
    newest committed version below ``version``, so that the reads of a batch being built are
    the committed map, found in the cache) or else as of ``version`` itself. A ``base`` is
    only right when no rows lie between it and ``version`` but this store's, which is what
    building batches one at a time guarantees. Writes are kept in memory and written at
    ``version`` by :meth:`flush`, within the caller's transaction.
    """

    __slots__ = ("_base", "_flushed", "_session", "_token", "_version", "_view", "_written")

    def __init__(self, session: Session, version: int, *, base: int | None = None) -> None:
        if base is not None and base > version:
            raise ValueError(f"base version {base} lies above version {version}")
        self._session = session
        self._version = version
        self._base = version if base is None else base
        self._token = database_token(session)
        self._view: dict[_Slot, Node | None] = {}
        self._written: set[_Slot] = set()
        self._flushed: set[_Slot] = set()

    @property
    def version(self) -> int:
        return self._version

    def get(self, height: int, prefix: int) -> Node | None:
        slot = (height, prefix)
        if slot in self._view:
            return self._view[slot]
        cached = NODE_CACHE.get((self._token, self._base, height, prefix))
        if cached is MISSING:
            payload = (
                self._session.connection()
                .execute(_AS_OF, {"h": height, "p": prefix_text(prefix), "v": self._base})
                .scalar()
            )
            node = None if payload is None else unpack_node(payload)
        else:
            node = cast(Node | None, cached)
        self._view[slot] = node
        return node

    def put(self, height: int, prefix: int, node: Node) -> None:
        self._view[(height, prefix)] = node
        self._written.add((height, prefix))

    def delete(self, height: int, prefix: int) -> None:
        self._view[(height, prefix)] = None
        self._written.add((height, prefix))

    def flush(self) -> int:
        """Write the nodes changed since the last flush at ``version``; returns how many.

        A node written again after a flush (a second update in the same batch) is updated in
        place: its row at ``version`` belongs to this uncommitted batch, nobody has read it.
        """
        new: list[dict[str, object]] = []
        again: list[dict[str, object]] = []
        for slot in sorted(self._written):
            node = self._view[slot]
            (again if slot in self._flushed else new).append(
                {
                    "b_height": slot[0],
                    "b_prefix": prefix_text(slot[1]),
                    "b_version": self._version,
                    "b_payload": None if node is None else pack_node(node),
                }
            )
        connection = self._session.connection()
        if new:
            connection.execute(_INSERT, new)
        if again:
            connection.execute(_UPDATE, again)
        self._flushed |= self._written
        self._written = set()
        return len(new) + len(again)

    def publish(self) -> None:
        """Share this store's view (reads and flushed writes) as the map as of ``version``.

        Call it only once ``version`` is committed: after the commit of the transaction that
        wrote it, or at once for a store that only read a committed version.
        """
        if self._written:
            raise RuntimeError("heads-map nodes written but not flushed cannot be published")
        version, token = self._version, self._token
        NODE_CACHE.put_many(
            ((token, version, height, prefix), node)
            for (height, prefix), node in self._view.items()
        )
