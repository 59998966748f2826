"""Running the migrations from inside the application (start-up, tests, the CLI).

``upgrade_to_head`` runs ``alembic upgrade head`` on the engine's own connection, so the URL is
whatever the settings gave the engine and SQLite files, PostgreSQL databases and tests all take
the same path. On PostgreSQL a transaction-scoped advisory lock makes several processes that
start together take turns instead of racing to create the same tables. A database made before
migrations existed (tables present, no revision recorded) is stamped at the first revision,
which creates exactly those tables, and then upgraded from there.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

MIGRATIONS_DIR = Path(__file__).resolve().parent
ALEMBIC_INI = MIGRATIONS_DIR.parent / "alembic.ini"
BASELINE_REVISION = "0001"
#: Arbitrary constant naming SenTrace's migration lock among PostgreSQL advisory locks.
_ADVISORY_LOCK_KEY = 0x53454E5452414345 & 0x7FFFFFFFFFFFFFFF  # "SENTRACE"


def alembic_config() -> Config:
    """The Alembic configuration of this package, independent of the working directory."""
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Apply every migration not yet applied to the engine's database."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            lock = text("SELECT pg_advisory_xact_lock(:key)")
            connection.execute(lock, {"key": _ADVISORY_LOCK_KEY})
        config = alembic_config()
        config.attributes["connection"] = connection
        if _made_before_migrations(connection):
            command.stamp(config, BASELINE_REVISION)
        command.upgrade(config, "head")


def _made_before_migrations(connection: Connection) -> bool:
    """Tables exist but no revision is recorded (``create_all`` made them)."""
    if "organisation" not in inspect(connection).get_table_names():
        return False
    return MigrationContext.configure(connection).get_current_revision() is None
