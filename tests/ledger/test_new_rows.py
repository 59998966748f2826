"""``new_row`` builds the same new row as a table model's constructor, only faster.

The write path makes its events and disclosures with ``backend.new_rows.new_row``: the row must
hold the same values and defaults, carry the same pydantic bookkeeping, be inserted whole by a
flush and read back equal, and refuse what the constructor would silently ignore.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, SQLModel, col, select

from backend.models import ChainAction, ChainActionKind, Disclosure, Event, EventType
from backend.new_rows import fill_new_row, insert_new_rows, new_row

EVENT: dict[str, Any] = {
    "id": "0192f3a4-aaaa-7bbb-8ccc-123456789abc",
    "lot_id": 1,
    "type": EventType.NOTE,
    "occurred_at": datetime(2026, 5, 1, 8, 0, tzinfo=UTC),
    "org_id": 1,
    "location": None,
    "data": {"text": "Tỉa cành"},
    "event_hash": "",
}
DISCLOSURE: dict[str, Any] = {
    "event_id": EVENT["id"],
    "path": "data.note",
    "value": "Ông Tư",
    "salt": "0x" + "ab" * 32,
}
ACTION: dict[str, Any] = {
    "kind": ChainActionKind.LOT_EVENT,
    "event_id": EVENT["id"],
    "lot_key": "0x" + "12" * 32,
    "event_kind": 3,
    "payload_hash": "0x" + "cd" * 32,
}
TIMED = {"recorded_at", "created_at"}  # default factories that read the clock


def fields(row: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(row).items() if k != "_sa_instance_state" and k not in TIMED}


@pytest.mark.parametrize(
    ("model", "values"), [(Event, EVENT), (Disclosure, DISCLOSURE), (ChainAction, ACTION)]
)
def test_the_row_is_the_constructors_row(model: type[Any], values: dict[str, Any]) -> None:
    built, made = model(**values), new_row(model, **values)
    assert fields(made) == fields(built)
    assert made.model_fields_set == built.model_fields_set == set(values)
    assert made.model_dump().keys() == built.model_dump().keys()
    assert TIMED & vars(built).keys() == TIMED & vars(made).keys()


def test_a_flush_inserts_the_whole_row_and_it_reads_back_equal() -> None:
    engine = create_engine("sqlite://")
    SQLModel.metadata.create_all(engine, tables=[Event.__table__, Disclosure.__table__])  # type: ignore[list-item]
    with Session(engine) as session:
        event = new_row(Event, **EVENT)
        session.add(event)
        session.flush()
        event.event_hash = "0x" + "cd" * 32  # set after construction: the instrumented path
        session.add(new_row(Disclosure, **DISCLOSURE))
        session.commit()
        assert event.seq is not None
    with Session(engine) as session:
        [stored] = session.exec(select(Event)).all()
        expected = {**fields(Event(**EVENT)), "seq": 1, "event_hash": "0x" + "cd" * 32}
        expected["occurred_at"] = EVENT["occurred_at"].replace(tzinfo=None)  # SQLite: naive
        assert fields(stored) == expected
        [disclosure] = session.exec(select(Disclosure)).all()
        assert (disclosure.path, disclosure.value, disclosure.id) == ("data.note", "Ông Tư", 1)


def test_unknown_names_and_missing_required_fields_are_refused() -> None:
    with pytest.raises(TypeError, match="no field 'colour'"):
        new_row(Event, **EVENT, colour="vàng")
    without_lot = {k: v for k, v in EVENT.items() if k != "lot_id"}
    with pytest.raises(TypeError, match="needs 'lot_id'"):
        new_row(Event, **without_lot)


def _engine() -> Any:
    engine = create_engine("sqlite://")
    tables = [Event.__table__, Disclosure.__table__, ChainAction.__table__]
    SQLModel.metadata.create_all(engine, tables=tables)  # type: ignore[arg-type]
    return engine


def test_fields_filled_on_a_new_row_are_inserted_and_counted_as_set() -> None:
    engine = _engine()
    filled = {"event_hash": "0x" + "cd" * 32, "lot_seq": 1, "canonical": b'{"v":2}'}
    with Session(engine) as session:
        event = new_row(Event, **EVENT)
        fill_new_row(event, **filled)
        assert event.model_fields_set == set(EVENT) | set(filled)
        session.add(event)
        fill_new_row(event, prev_hash=None, data={"text": "Bón phân"})  # pending: still whole
        session.commit()
    with Session(engine) as session:
        [stored] = session.exec(select(Event)).all()
        assert (stored.event_hash, stored.lot_seq, stored.canonical) == tuple(filled.values())
        assert stored.data == {"text": "Bón phân"}


def test_a_stored_row_is_refused_because_its_update_needs_the_change_history() -> None:
    engine = _engine()
    with Session(engine) as session:
        event = new_row(Event, **EVENT)
        session.add(event)
        session.flush()
        with pytest.raises(TypeError, match="stored already"):
            fill_new_row(event, event_hash="0x" + "ee" * 32)
        with pytest.raises(TypeError, match="no field 'colour'"):
            fill_new_row(new_row(Event, **EVENT), colour="vàng")


def test_new_rows_inserted_by_core_read_back_as_a_flush_stores_them() -> None:
    """Same columns, same defaults (an id numbered by the database, JSON null for None, a
    status default), several rows of one table in one statement, in order."""
    engine = _engine()
    rows: list[Any] = [
        new_row(Disclosure, **DISCLOSURE),
        new_row(Disclosure, **{**DISCLOSURE, "path": "location.point", "value": None}),
        new_row(ChainAction, **ACTION),
    ]
    with Session(engine) as session:
        session.add(new_row(Event, **EVENT))
        session.flush()
        insert_new_rows(session, rows)
        insert_new_rows(session, [])
        session.commit()
    with Session(engine) as session:
        stored = session.exec(select(Disclosure).order_by(col(Disclosure.id))).all()
        assert [(d.id, d.path, d.value) for d in stored] == [
            (1, "data.note", "Ông Tư"),
            (2, "location.point", None),
        ]
        [action] = session.exec(select(ChainAction)).all()
        expected = {**fields(ChainAction(**ACTION)), "id": 1}
        assert fields(action) == expected
        assert action.created_at is not None
    with engine.connect() as connection:  # None in a JSON column is stored as JSON null
        raw = connection.exec_driver_sql("SELECT value FROM disclosure WHERE id = 2").scalar()
        assert raw == "null"


def test_rows_already_in_a_session_are_refused() -> None:
    engine = _engine()
    with Session(engine) as session:
        disclosure = new_row(Disclosure, **DISCLOSURE)
        session.add(disclosure)
        with pytest.raises(TypeError, match="in a session already"):
            insert_new_rows(session, [disclosure])
