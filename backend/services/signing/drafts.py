"""Write drafts: a write's statements kept until their author sends the signatures.

A draft is made when a write arrives without signatures: the statements it would record (with
the typed data to sign), the 32-byte seed and the pinned time its documents were built with,
and a fingerprint of the request (method, path, body) so that only the same request applies it.
A draft is used once (deleted in the transaction that applies it) and expires after
:data:`DRAFT_TTL`; expired drafts are removed whenever a new one is stored.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, delete, select

from backend.entropy import real_now
from backend.models import Organisation, WriteDraft
from backend.timeutil import as_utc, rfc3339_z

#: How long a draft waits for its signatures (time enough to find a key and a passphrase).
DRAFT_TTL = timedelta(minutes=30)
SEED_SIZE = 32


def new_seed() -> bytes:
    """The draft's seed, from the operating system's secure random source."""
    return secrets.token_bytes(SEED_SIZE)


def store_draft(
    session: Session,
    *,
    org: Organisation,
    fingerprint: str,
    seed: bytes,
    pinned_now: datetime,
    statements: list[dict[str, Any]],
) -> WriteDraft:
    """A new draft (and expired ones removed); the caller commits."""
    now = real_now()
    session.exec(delete(WriteDraft).where(col(WriteDraft.expires_at) < now))  # type: ignore[call-overload]
    assert org.id is not None
    draft = WriteDraft(
        id=str(uuid.uuid4()),
        org_id=org.id,
        fingerprint=fingerprint,
        seed=seed,
        pinned_now=pinned_now,
        statements=statements,
        expires_at=now + DRAFT_TTL,
        created_at=now,
    )
    session.add(draft)
    session.flush()
    return draft


def usable_draft(session: Session, *, draft_id: str, org: Organisation) -> WriteDraft | None:
    """The organisation's unexpired draft ``draft_id``, locked for this transaction, or None."""
    query = (
        select(WriteDraft)
        .where(WriteDraft.id == draft_id[:36], WriteDraft.org_id == org.id)
        .with_for_update()
    )
    draft = session.exec(query).first()
    if draft is None or as_utc(draft.expires_at) <= real_now():
        return None
    return draft


def draft_body(draft: WriteDraft) -> dict[str, Any]:
    """The ``draft`` member of a 428 or 409 answer: what to sign and how to send it back."""
    return {
        "id": draft.id,
        "expires_at": rfc3339_z(draft.expires_at),
        "sign": draft.statements,
    }
