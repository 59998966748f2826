"""On SQLite, locking a lot for a write takes the database's write lock before reading it.

SQLite drops ``FOR UPDATE`` and the driver opens a transaction only at its first write, so a
custody check read before that write could be overtaken by another writer. ``lock_lot`` takes
the writer's lock first; these tests prove it is held once ``lock_lot`` returns, released on
commit, and that racing transfers of one lot leave exactly one winner.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from backend.errors import Conflict
from backend.models import Event, EventType, Organisation
from backend.runtime import Runtime
from backend.services.ledger.custody import transfer_lot
from backend.services.ledger.locking import lock_lot
from backend.services.transactions import commit
from tests.ledger.test_concurrency import _setup, together
from tests.support.app import make_settings


@pytest.fixture
def sqlite_runtime(tmp_path: Path) -> Iterator[Runtime]:
    database = tmp_path / "ledger.db"
    runtime = Runtime.create(make_settings(tmp_path / "data", f"sqlite:///{database}"))
    runtime.extras["database_file"] = database
    try:
        yield runtime
    finally:
        runtime.close()


def _other_writer_can_start(database: Path) -> bool:
    """Whether a second connection gets the write lock right now (no waiting)."""
    connection = sqlite3.connect(database, timeout=0, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return False
    finally:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        connection.close()
    return True


def test_the_write_lock_is_held_from_lock_lot_to_commit(sqlite_runtime: Runtime) -> None:
    _setup(sqlite_runtime)
    database = sqlite_runtime.extras["database_file"]
    assert _other_writer_can_start(database)
    with Session(sqlite_runtime.engine) as session:
        lot = lock_lot(session, "L-1")
        assert lot.code == "L-1"
        assert not _other_writer_can_start(database)  # held: the custody check is safe
        session.commit()
    assert _other_writer_can_start(database)


def test_only_one_of_several_racing_transfers_wins_on_sqlite(sqlite_runtime: Runtime) -> None:
    _setup(sqlite_runtime)

    def transfer(index: int) -> str:
        with Session(sqlite_runtime.engine, expire_on_commit=False) as session:
            coop = session.exec(select(Organisation).where(Organisation.slug == "htx")).one()
            lot, _ = transfer_lot(
                session,
                lot_code="L-1",
                org=coop,
                to_slug=f"dg-{index + 1}",
                settings=sqlite_runtime.settings,
            )
            commit(session)
            return str(lot.custodian_org_id)

    results = together(4, transfer)
    winners = [r for r in results if isinstance(r, str)]
    assert len(winners) == 1, results
    # The first shipment put the lot in transit: every later transfer is refused as such.
    assert all(isinstance(r, Conflict) for r in results if not isinstance(r, str))
    with Session(sqlite_runtime.engine) as session:
        transfers = session.exec(select(Event).where(Event.type == EventType.TRANSFER)).all()
        assert len(transfers) == 1


def test_threads_that_wait_for_the_lock_see_the_winners_change(sqlite_runtime: Runtime) -> None:
    _setup(sqlite_runtime)
    locked, done = threading.Event(), threading.Event()
    seen: list[int | None] = []

    def late_reader() -> None:
        locked.wait(10)
        with Session(sqlite_runtime.engine) as session:
            seen.append(lock_lot(session, "L-1").custodian_org_id)
            session.rollback()
        done.set()

    reader = threading.Thread(target=late_reader)
    reader.start()
    with Session(sqlite_runtime.engine, expire_on_commit=False) as session:
        lot = lock_lot(session, "L-1")
        packer = session.exec(select(Organisation).where(Organisation.slug == "dg-1")).one()
        lot.custodian_org_id = packer.id
        session.add(lot)
        session.flush()
        locked.set()
        assert not done.wait(0.3)  # the reader waits on the write lock, it does not read past it
        session.commit()
    reader.join(30)
    assert seen == [packer.id]
