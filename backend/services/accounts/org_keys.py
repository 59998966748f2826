"""Organisations' signing keys: register, create (custodial), revoke, list, sign with.

A key signs for its organisation only once the registry records it (``setSignerWithSignature``
sent by the anchoring worker's outbox): every add and revoke here queues a SET_SIGNER chain
action in the same transaction, and a regulator's key also a GRANT_REGULATOR (its recalls are
checked against REGULATOR_ROLE). The key stays ``pending`` until that action is confirmed, then
is ``active``; events it signs meanwhile are kept and anchored once it is active. A revoked key
stops at once here (nothing more is signed or accepted with it) and on chain when its action
lands; a revoked key never returns.

Client- and browser-held keys are registered by address only: the server never sees their
private keys. A custodial key is made here and stored sealed (``key_vault``).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_keys import keys
from eth_utils import is_address, is_checksum_address, keccak, to_checksum_address
from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from backend.config import Settings
from backend.errors import Conflict, InvalidInput, NotFound
from backend.hashing import to_hex
from backend.i18n.messages import message
from backend.models import (
    CUSTODY_CODES,
    ChainAction,
    ChainActionKind,
    KeyCustody,
    KeyStatus,
    Organisation,
    OrgKey,
    OrgRole,
    User,
)
from backend.services.accounts import key_vault
from backend.timeutil import utcnow

#: Custody modes whose keys are registered by address (the private key stays with its holder).
HELD_ELSEWHERE = (KeyCustody.CLIENT, KeyCustody.BROWSER)


class NoSigningKey(Conflict):
    """A custodial organisation has no usable custodial key to sign with."""


def org_key_of(slug: str) -> bytes:
    """``orgKey`` = keccak256 of the UTF-8 of the NFC slug (spec section 1)."""
    return keccak(text=unicodedata.normalize("NFC", slug))


def checksummed(address: object, *, field: str = "address") -> str:
    """``address`` as EIP-55; InvalidInput naming ``field`` for anything else (a mixed-case
    address whose checksum is wrong is refused: it is likely mistyped)."""
    if not isinstance(address, str) or not is_address(address):
        raise InvalidInput(message("keys.bad_address"), field=field)
    has_case = address[2:] != address[2:].lower() and address[2:] != address[2:].upper()
    if has_case and not is_checksum_address(address):
        raise InvalidInput(message("keys.bad_checksum"), field=field)
    return to_checksum_address(address)


def custody_of(value: object, *, field: str = "custody") -> KeyCustody:
    """``value`` as a KeyCustody; InvalidInput naming ``field`` otherwise."""
    try:
        return KeyCustody(str(value))
    except ValueError:
        choices = ", ".join(c.value for c in KeyCustody)
        raise InvalidInput(message("keys.custody_choice", tail=choices), field=field) from None


def keys_of(session: Session, org: Organisation) -> list[OrgKey]:
    """Every key of ``org``, oldest first (revoked ones too: they signed what came before)."""
    statement = select(OrgKey).where(col(OrgKey.org_id) == org.id).order_by(col(OrgKey.id))
    return list(session.exec(statement).all())


def key_by_address(session: Session, address: str) -> OrgKey | None:
    """The key with this (checksummed) address, whatever its organisation."""
    return session.exec(select(OrgKey).where(col(OrgKey.address) == address)).first()


def register_key(
    session: Session,
    org: Organisation,
    *,
    address: str,
    custody: str,
    user: User | None = None,
) -> OrgKey:
    """A client- or browser-held key, known by its address: pending until on chain."""
    kind = custody_of(custody)
    if kind not in HELD_ELSEWHERE:
        raise InvalidInput(message("keys.custodial_made_here"), field="custody")
    return _add(session, org, checksummed(address), kind, user=user)


def create_custodial_key(
    session: Session, org: Organisation, settings: Settings, *, user: User | None = None
) -> OrgKey:
    """A new key made and sealed here (``key_vault``): pending until on chain."""
    account: LocalAccount = Account.create()
    sealed = key_vault.seal(bytes(account.key), address=account.address, settings=settings)
    return _add(session, org, account.address, KeyCustody.CUSTODIAL, user=user, sealed=sealed)


def revoke_key(session: Session, org: Organisation, *, address: str) -> OrgKey:
    """Revoke ``org``'s key at ``address`` here at once and on chain when its action lands;
    revoking a revoked key changes nothing."""
    key = key_by_address(session, checksummed(address))
    if key is None or key.org_id != org.id:  # another organisation's key is not named
        raise NotFound(message("keys.unknown_key"), field="address")
    if key.status == KeyStatus.REVOKED:
        return key
    key.status = KeyStatus.REVOKED.value
    key.revoked_at = utcnow()
    session.add(key)
    _queue_set_signer(session, org, key, active=False)
    session.flush()
    return key


@dataclass(frozen=True)
class CustodialAccount:
    """A custodial key opened for signing: its address, its private key's bytes and the
    same key ready to sign a digest (building it costs more than the signature)."""

    address: str
    key: bytes
    private: keys.PrivateKey


#: Built once: every custodial write runs it, and building a ``select()`` costs more CPU than
#: running it from SQLAlchemy's compiled cache.
_USABLE_CUSTODIAL_KEYS = (
    select(OrgKey.address, OrgKey.status, OrgKey.encrypted_key)
    .where(
        col(OrgKey.org_id) == bindparam("org_id"),
        col(OrgKey.custody) == KeyCustody.CUSTODIAL.value,
        col(OrgKey.status) != KeyStatus.REVOKED.value,
        col(OrgKey.encrypted_key).is_not(None),
    )
    .order_by(col(OrgKey.id))
)


def signing_key(session: Session, org: Organisation, settings: Settings) -> CustodialAccount:
    """The custodial account that signs for ``org`` now: its newest active custodial key, else
    its newest pending one (events so signed are anchored once it is active); NoSigningKey
    when it has neither.

    Which key signs is read from the database on every call (a key revoked a moment ago
    signs nothing more); only opening it is remembered (:func:`_opened`). The read returns
    plain columns, so it runs on the session's connection, without the ORM's execution path
    (a third of the cost; keys are written with an explicit flush, so no autoflush is due)."""
    connection = session.connection()
    usable = list(connection.execute(_USABLE_CUSTODIAL_KEYS, {"org_id": org.id}).all())
    active = [row for row in usable if row[1] == KeyStatus.ACTIVE.value]
    chosen = (active or usable)[-1] if usable else None
    if chosen is None or not chosen[2]:
        raise NoSigningKey(message("keys.no_custodial_key", org=org.slug), field="key")
    return _opened(bytes(chosen[2]), chosen[0], key_vault.encryption_key(settings))


@lru_cache(maxsize=1024)
def _opened(sealed: bytes, address: str, aes_key: bytes) -> CustodialAccount:
    """The key sealed in ``sealed`` for ``address`` under ``aes_key``, opened once.

    A pure function of exactly its inputs (the GCM tag makes any other sealed bytes, address
    or secret fail, and a failure is raised, never remembered), so a rotated secret or an
    edited row opens afresh. Holding opened keys in memory adds nothing for someone who can
    read this process's memory: the key-encryption key that opens them all is there anyway.
    """
    private = key_vault.unseal_with(sealed, address=address, aes_key=aes_key)
    return CustodialAccount(address=address, key=private, private=keys.PrivateKey(private))


def is_usable_signer(session: Session, org: Organisation, address: str) -> bool:
    """Whether ``address`` is a pending or active key of ``org``."""
    if not isinstance(address, str) or not is_address(address):
        return False
    key = key_by_address(session, to_checksum_address(address))
    return (
        key is not None
        and key.org_id == org.id
        and key.status in (KeyStatus.PENDING, KeyStatus.ACTIVE)
    )


def _add(
    session: Session,
    org: Organisation,
    address: str,
    custody: KeyCustody,
    *,
    user: User | None,
    sealed: bytes | None = None,
) -> OrgKey:
    if key_by_address(session, address) is not None:
        raise Conflict(message("keys.address_taken"), field="address")
    key = OrgKey(
        org_id=org.id,
        address=address,
        custody=custody.value,
        status=KeyStatus.PENDING.value,
        encrypted_key=sealed,
        created_by_user_id=user.id if user is not None else None,
    )
    session.add(key)
    session.flush()
    _queue_set_signer(session, org, key, active=True)
    if org.role is OrgRole.REGULATOR:
        session.add(
            ChainAction(
                kind=ChainActionKind.GRANT_REGULATOR, lot_key="", payload_hash="", signer=address
            )
        )
    session.flush()
    return key


def _queue_set_signer(session: Session, org: Organisation, key: OrgKey, *, active: bool) -> None:
    """The SET_SIGNER action; the outbox signs it (signer admin) when it sends it."""
    session.add(
        ChainAction(
            kind=ChainActionKind.SET_SIGNER,
            lot_key="",
            payload_hash="",
            org_key=to_hex(org_key_of(org.slug)),
            signer=key.address,
            active=active,
            custody=CUSTODY_CODES[KeyCustody(key.custody)],
        )
    )
