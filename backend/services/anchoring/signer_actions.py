"""Signer changes and regulator grants in the outbox, and recalls relayed with their signature.

A SET_SIGNER action (queued by ``accounts.org_keys`` when a key is added or revoked) goes out
as ``setSignerWithSignature``: the signer admin (``SENTRACE_SIGNER_ADMIN_KEY``; outside
production the anchor key, the admin of a development registry) signs the ``SignerChange``
when the action is first sent, and its nonce, deadline and signature are stored on the row
before anything is broadcast, so a retry relays the same statement. Nonces follow the
registry's ``nonces(admin)``, counting changes already sent but not yet mined. A change the
registry already shows (a retry after a lost answer) is done without sending.

When a SET_SIGNER is confirmed the key's row follows: ``pending`` → ``active`` (a key revoked
here meanwhile stays revoked). GRANT_REGULATOR is the admin's own ``grantRole`` sent with the
platform key (which is the admin of a development registry only: elsewhere it fails and the
registry's admin grants the role from its wallet). A RECALL carrying a regulator's signature
goes out as ``recallWithSignature``; one without (queued before signed recalls) as ``recall``.
"""

from __future__ import annotations

import logging
import time

from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlmodel import Session, col, func, select

from backend.chain import ChainClient
from backend.chain.registry_signers import REGULATOR_ROLE
from backend.chain.sender import Transactable
from backend.config import Environment, Settings
from backend.hashing import from_hex
from backend.hashing.eip712 import sign_typed_data, signer_change_typed_data
from backend.models import BatchStatus, ChainAction, ChainActionKind, KeyStatus, OrgKey
from backend.timeutil import utcnow

logger = logging.getLogger(__name__)

#: How long a signed signer change may wait to be mined before the registry refuses it.
SIGNER_CHANGE_TTL_S = 24 * 3600
#: Kinds sent before the pass's batches (a batch may hold events of a key activated here).
FIRST_KINDS = (ChainActionKind.SET_SIGNER, ChainActionKind.GRANT_REGULATOR)
#: Reverts that mean the registry already shows the change (a retry after a lost answer).
ALREADY_DONE = {
    "TraceRegistrySignerAlreadyActive",
    "TraceRegistrySignerRevoked",
    "TraceRegistrySignerNotActive",
}
#: Reverts after which the statement is signed again (fresh nonce and deadline).
SIGN_AGAIN = {"TraceRegistryExpiredSignature", "InvalidAccountNonce"}


class SignerAdminMissing(RuntimeError):
    """Production without ``SENTRACE_SIGNER_ADMIN_KEY``: signer changes cannot be signed."""


def resolve_signer_admin(settings: Settings) -> LocalAccount | None:
    """The configured account that signs signer changes (None: not configured)."""
    if settings.signer_admin_key is None:
        return None
    try:
        return Account.from_key(settings.signer_admin_key.get_secret_value())
    except (ValueError, TypeError):  # never chain the original: it may quote the key
        raise SignerAdminMissing("SENTRACE_SIGNER_ADMIN_KEY is not a valid key") from None


def admin_for(
    chain: ChainClient, configured: LocalAccount | None, settings: Settings
) -> LocalAccount:
    """The configured signer admin, else (outside production) the key the chain client signs
    with: the anchor key, which is the admin of a registry it deployed."""
    if configured is not None:
        return configured
    if settings.env is Environment.PRODUCTION:
        raise SignerAdminMissing("production needs SENTRACE_SIGNER_ADMIN_KEY for signer changes")
    return chain._account


def sign_change(
    chain: ChainClient, session: Session, action: ChainAction, admin: LocalAccount
) -> None:
    """Fill the action's nonce, deadline and signature (once; committed by the caller)."""
    if action.signature is not None:
        return
    assert action.org_key and action.signer and action.custody is not None
    in_flight = session.exec(
        select(func.max(ChainAction.nonce))
        .where(col(ChainAction.kind) == ChainActionKind.SET_SIGNER)
        .where(col(ChainAction.status) == BatchStatus.SENT)
        .where(col(ChainAction.id) != action.id)
    ).one()
    nonce = chain.nonce_of(admin.address)
    if in_flight is not None and in_flight >= nonce:
        nonce = in_flight + 1
    now = max(int(time.time()), int(chain.w3.eth.get_block("latest")["timestamp"]))
    deadline = now + SIGNER_CHANGE_TTL_S
    typed = signer_change_typed_data(
        chain.signing_domain(),
        org_key=action.org_key,
        signer=action.signer,
        active=bool(action.active),
        custody=action.custody,
        nonce=nonce,
        deadline=deadline,
    )
    action.nonce, action.deadline = nonce, deadline
    action.signature = sign_typed_data(typed, bytes(admin.key))


def forget_signature(action: ChainAction) -> None:
    """After a refusal that a fresh statement may pass: sign again on the next attempt."""
    action.signature = action.nonce = action.deadline = None


def call_for(chain: ChainClient, action: ChainAction) -> Transactable | None:
    """The contract call of a signer or recall action; None for other kinds."""
    if action.kind is ChainActionKind.SET_SIGNER:
        assert action.org_key and action.signer and action.custody is not None
        assert action.nonce is not None and action.deadline is not None and action.signature
        return chain.set_signer_with_signature_call(
            from_hex(action.org_key),
            action.signer,
            active=bool(action.active),
            custody=action.custody,
            nonce=action.nonce,
            deadline=action.deadline,
            signature=action.signature,
        )
    if action.kind is ChainActionKind.GRANT_REGULATOR:
        assert action.signer
        return chain.grant_regulator_call(action.signer)
    if action.kind is ChainActionKind.RECALL and action.signature is not None:
        assert action.nonce is not None and action.deadline is not None
        return chain.recall_with_signature_call(
            from_hex(action.lot_key),
            from_hex(action.payload_hash),
            nonce=action.nonce,
            deadline=action.deadline,
            signature=action.signature,
        )
    return None


def on_chain(chain: ChainClient, action: ChainAction) -> bool:
    """Whether the registry shows what a signer action asks for."""
    assert action.signer
    if action.kind is ChainActionKind.GRANT_REGULATOR:
        return chain.has_role(REGULATOR_ROLE, action.signer)
    assert action.org_key
    record = chain.signer_of(from_hex(action.org_key), action.signer)
    return record.until > 0 if not action.active else record.since > 0


def confirmed(session: Session, action: ChainAction) -> None:
    """A confirmed SET_SIGNER moves its key: pending → active (revoked keys stay revoked)."""
    if action.kind is not ChainActionKind.SET_SIGNER or not action.signer:
        return
    key = session.exec(select(OrgKey).where(col(OrgKey.address) == action.signer)).first()
    if key is None:
        return
    if action.active and key.status == KeyStatus.PENDING:
        key.status, key.activated_at = KeyStatus.ACTIVE.value, utcnow()
    elif not action.active and key.revoked_at is None:
        key.status, key.revoked_at = KeyStatus.REVOKED.value, utcnow()
    session.add(key)
    logger.info("signing key %s is %s on chain", key.address, key.status)


def vanished(session: Session, action: ChainAction) -> None:
    """A confirmed signer change the registry no longer shows (a reset node, another registry):
    its statement is signed again (the old nonce and domain may be stale) and an activated key
    goes back to ``pending``, so no batch holds its events until the change is on chain again."""
    forget_signature(action)
    if action.kind is not ChainActionKind.SET_SIGNER or not action.active or not action.signer:
        return
    key = session.exec(select(OrgKey).where(col(OrgKey.address) == action.signer)).first()
    if key is not None and key.status == KeyStatus.ACTIVE:
        key.status, key.activated_at = KeyStatus.PENDING.value, None
        session.add(key)
        logger.warning("signing key %s is no longer on chain; waiting for it again", key.address)
