"""SqlNodeStore: the heads map's nodes by version, on SQLite and PostgreSQL.

A version is a batch id; a read as of ``v`` sees, per node, the newest row at or below ``v``,
and a removed node (payload NULL) reads as absent. Committed reads are shared through a
process-wide cache keyed by the database as well, so two databases never read each other's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from backend.hashing import HeadsMap, MemoryNodeStore, Node
from backend.models import HeadsNode
from backend.services.anchoring.heads import SqlNodeStore
from backend.services.anchoring.heads.store import NODE_CACHE, prefix_text
from tests.anchoring.heads_support import migrated

LEAF = Node(b"\x11" * 32, None, None)
OTHER = Node(b"\x22" * 32, None, None)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    with migrated(database_url) as made:
        yield made


def _write(engine: Engine, version: int, **changes: Node | None) -> None:
    """Write nodes at ``version``: ``a=LEAF`` puts (0, 0xa), ``a=None`` removes it."""
    with Session(engine) as session:
        store = SqlNodeStore(session, version)
        for name, node in changes.items():
            prefix = int(name, 16)
            if node is None:
                store.delete(0, prefix)
            else:
                store.put(0, prefix, node)
        store.flush()
        session.commit()


def _read(engine: Engine, version: int, name: str) -> Node | None:
    with Session(engine) as session:
        return SqlNodeStore(session, version).get(0, int(name, 16))


def test_a_read_as_of_a_version_sees_the_newest_row_at_or_below_it(engine: Engine) -> None:
    _write(engine, 3, a=LEAF, b=LEAF)
    _write(engine, 5, a=OTHER, b=None)

    assert [_read(engine, v, "a") for v in (2, 3, 4, 5, 9)] == [None, LEAF, LEAF, OTHER, OTHER]
    assert [_read(engine, v, "b") for v in (2, 3, 4, 5, 9)] == [None, LEAF, LEAF, None, None]


def test_rows_are_never_overwritten_only_added_per_version(engine: Engine) -> None:
    _write(engine, 3, a=LEAF)
    _write(engine, 5, a=OTHER)
    _write(engine, 7, a=None)

    with Session(engine) as session:
        rows = session.exec(select(HeadsNode).order_by(HeadsNode.version)).all()
    assert [(r.height, r.prefix, r.version, r.payload is None) for r in rows] == [
        (0, "0xa", 3, False),
        (0, "0xa", 5, False),
        (0, "0xa", 7, True),
    ]


def test_a_node_written_again_after_a_flush_is_updated_in_place(engine: Engine) -> None:
    with Session(engine) as session:
        store = SqlNodeStore(session, 4)
        store.put(0, 10, LEAF)
        assert store.flush() == 1
        store.put(0, 10, OTHER)
        store.delete(0, 11)
        assert store.flush() == 2
        session.commit()

    assert (_read(engine, 4, "a"), _read(engine, 4, "b")) == (OTHER, None)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(HeadsNode)).one() == 2


def test_a_store_over_a_base_reads_the_base_and_its_own_writes_only(engine: Engine) -> None:
    _write(engine, 3, a=LEAF, b=LEAF)
    with Session(engine) as session:
        store = SqlNodeStore(session, 8, base=3)
        store.put(0, 10, OTHER)
        assert (store.get(0, 10), store.get(0, 11), store.get(0, 12)) == (OTHER, LEAF, None)
    with pytest.raises(ValueError, match="above version"):
        SqlNodeStore(Session(engine), 2, base=3)


def test_a_map_over_the_store_equals_the_same_map_in_memory(engine: Engine) -> None:
    heads = [(os.urandom(32), os.urandom(32), seq) for seq in range(1, 30)]
    in_memory = HeadsMap.from_heads(heads, MemoryNodeStore())
    with Session(engine) as session:
        store = SqlNodeStore(session, 1)
        HeadsMap.from_heads(heads, store)
        store.flush()
        session.commit()

    with Session(engine) as session:
        reopened = HeadsMap(SqlNodeStore(session, 1))
        assert reopened.root == in_memory.root
        assert all(reopened.proof(key) == in_memory.proof(key) for key, _, _ in heads[::7])


def test_prefixes_are_stored_as_short_lowercase_hex() -> None:
    assert [prefix_text(p) for p in (0, 10, 2**255)] == ["0x0", "0xa", "0x8" + "0" * 63]


def test_only_published_reads_are_shared_and_never_across_databases(
    engine: Engine, tmp_path: Path
) -> None:
    """Two databases with the same versions hold different nodes; each reads its own."""
    other = tmp_path / "other.db"
    with migrated(f"sqlite:///{other}") as second:
        _write(engine, 1, a=LEAF)
        _write(second, 1, a=OTHER)
        for made, node in ((engine, LEAF), (second, OTHER)):
            with Session(made) as session:
                store = SqlNodeStore(session, 1)
                assert store.get(0, 10) == node
                store.publish()
        with Session(second) as session:  # served from the cache: the rows are gone
            session.exec(HeadsNode.__table__.delete())  # type: ignore[attr-defined]
            session.commit()
            assert SqlNodeStore(session, 1).get(0, 10) == OTHER
        assert _read(engine, 1, "a") == LEAF


def test_reads_are_not_shared_before_publish_and_unflushed_writes_never(engine: Engine) -> None:
    _write(engine, 1, a=LEAF)
    before = len(NODE_CACHE)
    with Session(engine) as session:
        store = SqlNodeStore(session, 2, base=1)
        store.get(0, 10)
        assert len(NODE_CACHE) == before
        store.put(0, 10, OTHER)
        with pytest.raises(RuntimeError, match="not flushed"):
            store.publish()
