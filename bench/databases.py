"""The databases a section runs on: a SQLite file, or a fresh PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

from bench.postgres import new_postgres_database

LABELS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


def database(kind: str, work_dir: Path) -> str:
    """A SQLAlchemy URL for an empty database of ``kind`` ("sqlite" or "postgres")."""
    if kind == "sqlite":
        work_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(work_dir / 'sentrace.db').as_posix()}"
    if kind == "postgres":
        return new_postgres_database()
    raise ValueError(f"unknown database kind {kind!r}")
