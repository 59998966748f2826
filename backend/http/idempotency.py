"""Idempotent writes: the first answer to an ``Idempotency-Key`` is stored and replayed.

A client that lost a response (timeout, dropped connection) resends the same request with the
same key and gets the same status and body, and nothing is recorded twice. The answer is stored
in the same transaction as the write itself, so either both exist or neither does; a concurrent
duplicate loses on the ``(org_id, key)`` unique constraint and then replays the winner's answer.

Keys are scoped to the calling organisation. A key reused for a different request (another
path, or a body that differs once parsed) is refused rather than answered with something that
does not belong to it. Only successful writes are stored: a refused request changed nothing, so
resending it (fixed or not) is simply a new attempt.

Some answers carry a secret that must exist only in the first response (a newly issued API
key). The route names those fields; they are stored as ``null`` next to a ``<field>_shown_once``
notice, so a replay still answers with the same status and everything else, issues nothing
twice, and no secret ever rests in the database.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, select

from backend.errors import InvalidInput
from backend.i18n.messages import message
from backend.json_depth import loads_bounded
from backend.models import IdempotencyRecord, Organisation

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
    session: Session, *, org: Organisation, key: str, request_fingerprint: str
) -> IdempotencyRecord | None:
    """The stored answer for ``key``, or ``None``; refuses a key reused for another request."""
    record = session.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.org_id == org.id, IdempotencyRecord.key == key
        )
    ).first()
    if record is not None and record.request_fingerprint != request_fingerprint:
        raise InvalidInput(KEY_REUSED, field=HEADER)
    return record


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
