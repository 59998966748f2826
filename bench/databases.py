"""The databases a section runs on: a SQLite file, or a fresh PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.postgres import postgres_database

LABELS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


@contextmanager
def database(kind: str, work_dir: Path) -> Iterator[str]:
    """A SQLAlchemy URL for an empty database of ``kind`` ("sqlite" or "postgres")."""
    if kind == "sqlite":
        work_dir.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{(work_dir / 'sentrace.db').as_posix()}"
    elif kind == "postgres":
        with postgres_database() as url:
            yield url
    else:
        raise ValueError(f"unknown database kind {kind!r}")
