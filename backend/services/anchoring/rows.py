"""Batches and outbox actions are worked one row at a time, each in a session of its own.

Both move through the same states (``pending → sent → confirmed``) and every step is committed
before the next network call, so a crash at any point leaves a state the next pass completes.
A pass therefore lists ids first and re-reads each row inside its own session: another pass
(or an operator) may have moved it on in the meantime.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from backend.models import Batch, BatchStatus, ChainAction

Row = TypeVar("Row", Batch, ChainAction)
#: One step on one row, inside the session that loaded it.
Step = Callable[[Session, Row], None]

#: States in which a row still has something to do on chain.
OPEN = (BatchStatus.PENDING, BatchStatus.SENT)


def open_ids(engine: Engine, model: type[Row], *, limit: int | None = None) -> list[int]:
    """Ids of the rows still pending or sent, oldest first."""
    statement = select(model.id).where(col(model.status).in_(OPEN)).order_by(col(model.id))
    if limit is not None:
        statement = statement.limit(limit)
    with Session(engine) as session:
        return [row_id for row_id in session.exec(statement).all() if row_id is not None]


def with_row(
    engine: Engine,
    model: type[Row],
    row_id: int,
    step: Step[Row],
    *,
    status: BatchStatus | None = None,
) -> None:
    """Run ``step`` on the row, unless it is gone or (given ``status``) no longer in it.

    The session keeps the row's values after each commit, so a step can commit a state change
    and go on reading the row for the next one.
    """
    with Session(engine, expire_on_commit=False) as session:
        row = session.get(model, row_id)
        if row is None or (status is not None and row.status is not status):
            return
        step(session, row)


def advance(
    engine: Engine, model: type[Row], row_id: int, *, send: Step[Row], confirm: Step[Row]
) -> None:
    """Move one row as far as it can go now: a pending row is sent, a sent one confirmed."""

    def step(session: Session, row: Row) -> None:
        if row.status is BatchStatus.PENDING:
            send(session, row)
        if row.status is BatchStatus.SENT:
            confirm(session, row)

    with_row(engine, model, row_id, step)
