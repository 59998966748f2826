"""Helpers for anchoring and verification tests: events recorded through the API, the
anchoring state read straight from the database, and rows poked at the way an attacker would.

The runtime these tests drive is ``chain_runtime`` (tests/support/fixtures_app.py): the
in-process chain (eth-tester) with its registry deployed and no worker, so tests drive the passes.

Direct SQL here is deliberate: tampering tests must change rows behind the application's back.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from backend.chain.errors import ChainError
from backend.models import Batch, BatchStatus, ChainAction, ChainActionKind, Event, Lot, OrgKey
from backend.runtime import Runtime
from tests.support.app import Actors, harvest_body

SIGNER_KINDS = (ChainActionKind.SET_SIGNER, ChainActionKind.GRANT_REGULATOR)


def harvest(actors: Actors, code: str, *, org: str = "htx", **overrides: Any) -> dict[str, Any]:
    """A harvest lot ``code`` on farm F-01 (product xoai), recorded by cooperative ``org``."""
    return actors.post("/api/v1/lots", org, harvest_body(code=code, **overrides))


def note(actors: Actors, code: str, text_: str, *, org: str = "htx") -> str:
    """A ``note`` event on lot ``code``; returns the event id."""
    body = {"type": "note", "occurred_at": "2026-05-02T08:00:00Z", "data": {"text": text_}}
    return str(actors.post(f"/api/v1/lots/{code}/events", org, body)["id"])


def noted_and_anchored(runtime: Runtime, actors: Actors, code: str, notes: Sequence[str]) -> str:
    """A harvest lot ``code`` of HTX Mỹ Xương with one ``note`` per text, signed and anchored
    through the application; returns ``code``."""
    harvest(actors, code)
    for text_ in notes:
        note(actors, code, text_)
    anchor_everything(runtime)
    return code


def events(engine: Engine, *, lot_code: str | None = None) -> list[Event]:
    with Session(engine) as session:
        query = select(Event).order_by(col(Event.seq))
        if lot_code is not None:
            query = query.join(Lot, col(Lot.id) == col(Event.lot_id)).where(Lot.code == lot_code)
        return list(session.exec(query).all())


def batches(engine: Engine) -> list[Batch]:
    with Session(engine) as session:
        return list(session.exec(select(Batch).order_by(col(Batch.id))).all())


def actions(engine: Engine) -> list[ChainAction]:
    """The outbox's milestones and recalls (signer changes: :func:`signer_actions`)."""
    return [a for a in all_actions(engine) if a.kind not in SIGNER_KINDS]


def signer_actions(engine: Engine) -> list[ChainAction]:
    """The outbox's signer changes and regulator grants (queued with organisations' keys)."""
    return [a for a in all_actions(engine) if a.kind in SIGNER_KINDS]


def all_actions(engine: Engine) -> list[ChainAction]:
    with Session(engine) as session:
        return list(session.exec(select(ChainAction).order_by(col(ChainAction.id))).all())


def pending_events(engine: Engine) -> int:
    return sum(1 for event in events(engine) if event.batch_id is None)


def anchor_everything(runtime: Runtime, *, passes: int = 20) -> None:
    """Flush and confirm until nothing is pending (bounded, so a bug cannot hang a test)."""
    for _ in range(passes):
        report = runtime.anchoring.run_once(force=True, wait=True)
        open_batches = [b for b in batches(runtime.engine) if b.status is not BatchStatus.CONFIRMED]
        open_actions = [a for a in actions(runtime.engine) if a.status is not BatchStatus.CONFIRMED]
        if not (report.more_work or open_batches or open_actions or pending_events(runtime.engine)):
            return
    raise AssertionError(f"still open after {passes} passes: {batches(runtime.engine)}")


def execute(engine: Engine, sql: str, **params: Any) -> int:
    """Run one statement as an outside editor of the database would; returns the row count."""
    with engine.begin() as connection:
        return int(connection.execute(text(sql), params).rowcount)


def set_event_json(engine: Engine, event_id: str, column: str, value: Any) -> None:
    """Overwrite a JSON column (``data``, ``location``, ``merkle_proof``) of one event."""
    assert column in {"data", "location", "merkle_proof"}
    execute(
        engine,
        f"UPDATE event SET {column} = :value WHERE id = :id",  # column checked above
        value=None if value is None else json.dumps(value),
        id=event_id,
    )


def _pending_keys(runtime: Runtime) -> list[str]:
    with Session(runtime.engine) as session:
        pending = session.exec(select(OrgKey).where(col(OrgKey.status) == "pending")).all()
    return [key.address for key in pending]


def activate_keys(runtime: Runtime, *, timeout_s: float = 90.0) -> None:
    """Record the organisations' pending signing keys on chain, so that events they sign are
    batched at once (before, batching keeps them waiting).

    One pass does it on a plain node; a node that withholds transactions, drops answers or
    asks for several confirmations takes a few passes, as the worker would run them.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        with contextlib.suppress(ChainError):  # a dropped answer: the next pass asks again
            runtime.anchoring.run_once(wait=True)
        pending = _pending_keys(runtime)
        if not pending:
            return
        assert time.monotonic() < deadline, f"signing keys still pending: {pending}"
        time.sleep(0.3)
