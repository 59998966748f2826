"""Idempotent writes: the first answer to an ``Idempotency-Key`` is stored and replayed.

A client that lost a response (timeout, dropped connection) resends the same request with the
same key and gets the same status and body, and nothing is recorded twice. The answer is stored
in the same transaction as the write itself, so either both exist or neither does; a concurrent
duplicate loses on the ``(org_id, key)`` unique constraint and then replays the winner's answer.

Keys are scoped to the calling organisation. A key reused for a different request (another
path, or a body that differs once parsed) is refused rather than answered with something that
does not belong to it. Only successful writes are stored: a refused request changed nothing, so
resending it (fixed or not) is simply a new attempt.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from sqlmodel import Session, select

from backend.errors import InvalidInput
from backend.models import IdempotencyRecord, Organisation

HEADER = "Idempotency-Key"
KEY_MAX = 200
_KEY_SHAPE = re.compile(r"[\x21-\x7e]{1,200}")  # visible ASCII, no spaces

BAD_KEY = (
    "Idempotency-Key gồm 1–200 ký tự ASCII nhìn thấy được / "
    "Idempotency-Key must be 1–200 visible ASCII characters"
)
KEY_REUSED = (
    "Idempotency-Key đã dùng cho một yêu cầu khác / "
    "Idempotency-Key was already used for a different request"
)


def check_key(value: str) -> str:
    """The header value if it is a usable key; :class:`InvalidInput` naming the header."""
    if not _KEY_SHAPE.fullmatch(value):
        raise InvalidInput(BAD_KEY, field=HEADER)
    return value


def fingerprint(method: str, path: str, body: bytes) -> str:
    """SHA-256 over method, path and the body (parsed JSON in one canonical spelling).

    Parsing first means a retry that re-serialises the same JSON (other key order or spacing)
    still counts as the same request; a body that is not JSON is taken byte for byte.
    """
    try:
        parsed: Any = json.loads(body) if body else None
        body_form = json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        body_bytes = b"json:" + body_form.encode("utf-8")
    except (ValueError, UnicodeDecodeError):
        body_bytes = b"raw:" + body
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode("utf-8"), body_bytes):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


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
) -> IdempotencyRecord:
    """Store the answer to replay (flushed with the write, committed with it)."""
    assert org.id is not None
    record = IdempotencyRecord(
        org_id=org.id,
        key=key,
        request_fingerprint=request_fingerprint,
        status_code=status_code,
        response_body=body,
    )
    session.add(record)
    session.flush()
    return record
