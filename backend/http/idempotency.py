"""Idempotent writes: the first answer to an ``Idempotency-Key`` is stored and replayed.

A client that lost a response (timeout, dropped connection) resends the same request with the
same key and gets the same status and body, and nothing is recorded twice. The answer is stored
in the same transaction as the write itself, so either both exist or neither does; a concurrent
duplicate loses on the ``(org_id, key)`` unique constraint and then replays the winner's answer.

Keys are scoped to the calling organisation. A key reused for a different request (another
path, or a body that differs once parsed) is refused rather than answered with something that
does not belong to it. Only successful writes are stored: a refused request changed nothing, so
resending it (fixed or not) is simply a new attempt.

Stored answers expire after ``SENTRACE_IDEMPOTENCY_TTL_H`` hours (72 by default): a retry is
a matter of minutes or, for a phone that lost its answer in a field without signal, days; an
answer kept for ever would only grow the table. An expired answer is never replayed (the key
then names a new write) and :class:`IdempotencySweeper` deletes expired rows in the background,
in every process; on PostgreSQL all processes share the records, so a retry reaching another
process is replayed all the same.

Some answers carry a secret that must exist only in the first response (a newly issued API
key). The route names those fields; they are stored as ``null`` next to a ``<field>_shown_once``
notice, so a replay still answers with the same status and everything else, issues nothing
twice, and no secret ever rests in the database.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from backend.errors import InvalidInput
from backend.i18n.messages import message
from backend.json_depth import loads_bounded
from backend.models import IdempotencyRecord, Organisation
from backend.services.anchoring.background import DaemonThread
from backend.timeutil import as_utc, utcnow

logger = logging.getLogger(__name__)

HEADER = "Idempotency-Key"
KEY_MAX = 200
_KEY_SHAPE = re.compile(r"[\x21-\x7e]{1,200}")  # visible ASCII, no spaces

BAD_KEY = message("errors.idempotency.bad_key")
KEY_REUSED = message("errors.idempotency.key_reused")
SHOWN_ONCE = message("errors.idempotency.shown_once")
SHOWN_ONCE_SUFFIX = "_shown_once"


def check_key(value: str) -> str:
    """The header value if it is a usable key; :class:`InvalidInput` naming the header."""
    if not _KEY_SHAPE.fullmatch(value):
        raise InvalidInput(BAD_KEY, field=HEADER)
    return value


def fingerprint(method: str, path: str, body: bytes) -> str:
    """SHA-256 over method, path and the body (parsed JSON in one canonical spelling).

    Parsing first means a retry that re-serialises the same JSON (other key order or spacing)
    still counts as the same request; a body that is not JSON, or nests too deeply to be a
    request the API accepts, is taken byte for byte. Any media type reaches this point, so the
    depth is checked here too, not only by the middleware that guards JSON media types.
    """
    try:
        parsed: Any = loads_bounded(body) if body else None
        body_form = json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        body_bytes = b"json:" + body_form.encode("utf-8")
    except (ValueError, UnicodeDecodeError):
        body_bytes = b"raw:" + body
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode("utf-8"), body_bytes):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def without_secrets(body: Any, secret_fields: Sequence[str]) -> Any:
    """``body`` fit to store: each secret field set to ``None`` beside a shown-once notice.

    A body that is not a JSON object, or lacks a named field, is returned as it is.
    """
    if not secret_fields or not isinstance(body, dict):
        return body
    stored = dict(body)
    for name in secret_fields:
        if name in stored:
            stored[name] = None
            stored[name + SHOWN_ONCE_SUFFIX] = SHOWN_ONCE
    return stored


def find_replay(
    session: Session,
    *,
    org: Organisation,
    key: str,
    request_fingerprint: str,
    ttl: timedelta,
    now: datetime | None = None,
) -> IdempotencyRecord | None:
    """The stored answer for ``key``, or ``None``; refuses a key reused for another request.

    An answer older than ``ttl`` is deleted here (with the caller's transaction) and not
    replayed: the key is free for the write that follows.
    """
    record = session.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.org_id == org.id, IdempotencyRecord.key == key
        )
    ).first()
    if record is None:
        return None
    if as_utc(record.created_at) <= (now or utcnow()) - ttl:
        session.delete(record)
        session.flush()
        return None
    if record.request_fingerprint != request_fingerprint:
        raise InvalidInput(KEY_REUSED, field=HEADER)
    return record


def purge_expired(engine: Engine, *, ttl: timedelta, now: datetime | None = None) -> int:
    """Delete every stored answer older than ``ttl``; how many went."""
    cutoff = (now or utcnow()) - ttl
    with Session(engine) as session:
        result = session.execute(
            delete(IdempotencyRecord).where(col(IdempotencyRecord.created_at) <= cutoff)
        )
        session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


class IdempotencySweeper:
    """Deletes expired answers at start and then every ``every_s`` seconds, in a daemon thread.

    A failed sweep (the database away for a moment) is logged and tried again next time: the
    rows only wait, and :func:`find_replay` never replays an expired answer meanwhile.
    """

    def __init__(self, engine: Engine, *, ttl: timedelta, every_s: float) -> None:
        self._engine = engine
        self._ttl = ttl
        self._every_s = every_s
        self.swept = 0
        self.passes = 0
        self._thread = DaemonThread(self._loop, name="sentrace-idempotency-sweeper",
                                    label="idempotency sweeper")  # fmt: skip

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._thread.stop(timeout)

    def wake(self) -> None:
        """Sweep now rather than at the next interval."""
        self._thread.wake()

    def _loop(self) -> None:
        delay = 0.0
        while self._thread.sleep(delay):
            delay = self._every_s
            try:
                gone = purge_expired(self._engine, ttl=self._ttl)
            except Exception:  # a bug or an outage must not end the thread
                logger.warning("idempotency sweep failed; will retry", exc_info=True)
                continue
            self.swept += gone
            self.passes += 1
            if gone:
                logger.info("forgot %d idempotency answers older than %s", gone, self._ttl)


def remember(
    session: Session,
    *,
    org: Organisation,
    key: str,
    request_fingerprint: str,
    status_code: int,
    body: Any,
    secret_fields: Sequence[str] = (),
) -> IdempotencyRecord:
    """Store the answer to replay (flushed with the write, committed with it).

    ``secret_fields`` are left out of what is stored (see :func:`without_secrets`).
    """
    assert org.id is not None
    record = IdempotencyRecord(
        org_id=org.id,
        key=key,
        request_fingerprint=request_fingerprint,
        status_code=status_code,
        response_body=without_secrets(body, secret_fields),
    )
    session.add(record)
    session.flush()
    return record
