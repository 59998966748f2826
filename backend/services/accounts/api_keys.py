"""API keys: issued (shown once), looked up on every request, revoked.

Only the SHA-256 digest is stored (see ``backend.services.accounts.credentials`` for why that
is enough for 256-bit random keys); the clear prefix finds the candidate rows, the digest is
compared in constant time.
"""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from backend.errors import NotFound
from backend.i18n.messages import message
from backend.models import ApiKey, Organisation
from backend.services import validation
from backend.services.accounts.credentials import api_key_matches, api_key_prefix, new_api_key
from backend.timeutil import utcnow

UNKNOWN_KEY = message("accounts.unknown_key")


def issue_api_key(session: Session, *, org: Organisation, label: str = "") -> tuple[ApiKey, str]:
    """A new key row for ``org`` and the key in clear (the only time it exists in clear)."""
    clean_label = validation.text(label, field="label", max_length=100, required=False) or ""
    key, prefix, digest = new_api_key()
    assert org.id is not None
    row = ApiKey(org_id=org.id, prefix=prefix, key_hash=digest, label=clean_label)
    session.add(row)
    session.flush()
    return row, key


def list_api_keys(session: Session, *, org: Organisation) -> list[ApiKey]:
    """Every key of ``org``, oldest first, revoked ones included."""
    query = select(ApiKey).where(ApiKey.org_id == org.id).order_by(col(ApiKey.id))
    return list(session.exec(query))


def revoke_api_key(session: Session, *, org: Organisation, key_id: int) -> ApiKey:
    """Revoke one key of ``org``; revoking twice keeps the first revocation time."""
    row = session.get(ApiKey, key_id)
    if row is None or row.org_id != org.id:
        raise NotFound(UNKNOWN_KEY)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        session.flush()
    return row


#: Built once: this runs on every authenticated request, and building a ``select()`` costs
#: more CPU than running it from SQLAlchemy's compiled cache.
_LIVE_KEYS_BY_PREFIX = (
    select(ApiKey.key_hash, Organisation)
    .join(Organisation, col(Organisation.id) == col(ApiKey.org_id))
    .where(ApiKey.prefix == bindparam("prefix"), col(ApiKey.revoked_at).is_(None))
)


def org_for_api_key(session: Session, key: str) -> Organisation | None:
    """The organisation a live key belongs to, or ``None`` (unknown or revoked).

    One indexed join per request and no cache, so a revoked key stops working at once.
    """
    rows = session.exec(_LIVE_KEYS_BY_PREFIX, params={"prefix": api_key_prefix(key)})
    for key_hash, org in rows:
        if api_key_matches(key, key_hash):
            return org
    return None
