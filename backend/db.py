"""Database engine and sessions.

SQLite is the default (a file in the data folder) and PostgreSQL the choice at scale; both go
through SQLAlchemy so the services never know which one they talk to. SQLite gets WAL mode and
foreign keys switched on, because its defaults would let a crash or a bad reference slip by.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

import backend.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from backend import models_epcis  # noqa: F401  (and the EPCIS tables, kept out of models.py)
from backend.json_depth import JsonTooDeep, loads_bounded

#: Deepest nesting orjson reads (its own recursion limit); deeper rows are read as text.
ORJSON_MAX_DEPTH = 1024

#: Connections a SQLite engine keeps open (file handles are cheap; re-opening is not).
SQLITE_POOL_SIZE = 48


def load_json_column(text: str | bytes) -> Any:
    """JSON columns as Python values: orjson, or the standard library where orjson refuses.

    Every verification reads three JSON columns per event (data, location, proof), and
    orjson decodes them in a fraction of the time. Wherever orjson accepts a document it
    yields the same value as ``json.loads`` within what the hashing rules admit (integers
    within ±2**53, no floats); what it refuses (NaN, infinities, lone surrogates: only a
    tampered row can hold them) goes to ``json.loads``, so such rows read exactly as before,
    unless the row nests deeper than orjson's own limit, which no written row does.
    Columns are still written with the standard library, byte for byte as before.
    """
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    try:
        return loads_bounded(text, ORJSON_MAX_DEPTH)
    except JsonTooDeep:
        # Only an edited row nests this deep; read as its text, the hash check names it.
        return text.decode("utf-8", "replace") if isinstance(text, bytes) else text


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine configured for the backend behind ``url``."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        on_file = bool(database) and database != ":memory:"
        if database and on_file:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # Keep as many connections as the server has request threads (anyio's default 40)
        # plus the worker: a connection opened past the pool is closed again on return, and
        # each new one costs the pragmas below and a parse of the whole schema.
        pool: dict[str, Any] = (
            {"pool_size": SQLITE_POOL_SIZE, "max_overflow": SQLITE_POOL_SIZE} if on_file else {}
        )
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": 30},
            json_deserializer=load_json_column,
            **pool,
        )
        event.listen(engine, "connect", _tune_sqlite)
        return engine
    return create_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        json_deserializer=load_json_column,
    )


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def create_schema(engine: Engine) -> None:
    """Bring the schema up to date: ``alembic upgrade head`` on this engine's database."""
    from backend.migrations.runner import upgrade_to_head  # Alembic loads only when needed

    upgrade_to_head(engine)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
