"""Signing the statements of a write: each event after it is hashed, and a recall's order.

:func:`sign_event` is called by ``record_event`` (the one door every event goes through) once the
event has its document and hash; :func:`sign_recall` by the recall service for the ``Recall``
statement the registry's ``recallWithSignature`` checks. What happens depends on the mode of
the write (see :mod:`backend.services.signing.context`): the server signs, the statement is only
collected for a draft, or the client's signature for it is checked against the draft and the
organisation's keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from backend.config import Settings
from backend.errors import InvalidInput, ServiceUnavailable, SignatureRequired
from backend.hashing import from_hex, lot_key, to_hex
from backend.hashing.diary import diary_key
from backend.hashing.eip712 import (
    event_typed_data,
    org_key,
    recall_typed_data,
    recover_signer,
    typed_data_digest,
)
from backend.hashing.event_digest import event_digest, sign_digest
from backend.i18n.messages import message
from backend.json_depth import loads_bounded
from backend.models import (
    BatchStatus,
    ChainAction,
    ChainActionKind,
    Event,
    KeyCustody,
    KeyStatus,
    Lot,
    Organisation,
)
from backend.services.accounts import org_keys
from backend.services.signing.context import Mode, SigningContext, current, default_chain
from backend.timeutil import utcnow

#: How long a recall signature may wait to be relayed before the registry refuses it.
RECALL_VALIDITY = timedelta(days=30)


class StatementMismatch(Exception):
    """Under APPLY the write built a statement its draft did not hold: what the request writes
    changed since the draft (the lot moved on). The write is rolled back; a fresh draft is due."""


@dataclass(frozen=True)
class RecallSignature:
    """What the RECALL chain action carries to ``recallWithSignature``."""

    signer: str | None
    signature: str | None
    nonce: int
    deadline: int


def sign_event(
    session: Session, *, event: Event, lot: Lot, org: Organisation, settings: Settings
) -> None:
    """Give a hashed rules-v2 event its ``signature`` and ``signer`` (left empty while a draft
    is being collected). Rules-v1 events carry no ``seq`` to sign and stay unsigned."""
    if event.lot_seq is None:
        return
    context = _context_for(org)
    statement = _event_statement(
        context,
        org=org,
        lot_key=lot_key(lot.code),
        lot=lot.code,
        seq=event.lot_seq,
        event_hash=event.event_hash,
    )
    if context.mode is not Mode.CUSTODIAL and event.canonical is not None:
        statement["document"] = loads_bounded(event.canonical)
    event.signature, event.signer = _settle(session, context, org, settings, statement)


def sign_diary_entry(
    session: Session,
    *,
    farm_code: str,
    seq: int,
    entry_hash: str,
    document: dict[str, Any],
    org: Organisation,
    settings: Settings,
) -> tuple[str | None, str | None]:
    """``(signature, signer)`` of a farm diary entry: the same ``Event`` statement as a lot's
    event, its ``lotKey`` the farm's diary key (proof rules 13.2); empty while collecting."""
    context = _context_for(org)
    statement = _event_statement(
        context,
        org=org,
        lot_key=diary_key(farm_code),
        lot=f"farm/{farm_code}",
        seq=seq,
        event_hash=entry_hash,
    )
    statement["document"] = document
    return _settle(session, context, org, settings, statement)


def sign_recall(
    session: Session, *, lot: Lot, org: Organisation, reason_hash: str, settings: Settings
) -> RecallSignature:
    """The regulator's ``Recall`` statement for ``lot``: its key's next nonce (the chain's count
    plus its recalls still waiting in the outbox) and a deadline 30 days from (pinned) now."""
    context = _context_for(org)
    signer = _recall_key(session, context, org, settings)
    nonce = context.chain.nonce_of(signer) + _queued_recalls(session, signer)
    deadline = int((utcnow() + RECALL_VALIDITY).timestamp())
    typed = recall_typed_data(
        context.chain.domain(),
        lot_key=lot_key(lot.code),
        reason_hash=from_hex(reason_hash),
        nonce=nonce,
        deadline=deadline,
    )
    statement: dict[str, Any] = {
        "kind": "recall",
        "org": org.slug,
        "typed_data": typed,
        "digest": to_hex(typed_data_digest(typed)),
        "lot": lot.code,
        "signer": signer,
        "reason_hash": reason_hash,
        "nonce": nonce,
        "deadline": deadline,
    }
    signature, _ = _settle(session, context, org, settings, statement, signer=signer)
    return RecallSignature(signer=signer, signature=signature, nonce=nonce, deadline=deadline)


def _event_statement(
    context: SigningContext,
    *,
    org: Organisation,
    lot_key: bytes,
    lot: str,
    seq: int,
    event_hash: str,
) -> dict[str, Any]:
    """The ``Event`` statement of a write, its digest in hex computed directly (``event_digest``;
    the tests hold it to eth-account's digest of the same typed data). The typed data is added
    only where a client is shown the statement (a draft) or its signature is checked on it: the
    server signing for a custodial organisation needs the digest alone."""
    domain = context.chain.domain()
    words: dict[str, Any] = {
        "org_key": org_key(org.slug),
        "lot_key": lot_key,
        "seq": seq,
        "event_hash": from_hex(event_hash),
    }
    statement: dict[str, Any] = {"kind": "event", "org": org.slug}
    if context.mode is not Mode.CUSTODIAL:
        statement["typed_data"] = event_typed_data(domain, **words)
    statement["digest"] = to_hex(event_digest(domain, **words))
    statement.update(event_hash=event_hash, lot=lot, seq=seq)
    return statement


def _context_for(org: Organisation) -> SigningContext:
    """The write's context; outside any, the server signs for a custodial organisation only."""
    context = current()
    if context is not None:
        return context
    if org.key_custody != KeyCustody.CUSTODIAL.value:
        raise SignatureRequired(message("signing.required"))
    chain = default_chain()
    if chain is None:
        raise ServiceUnavailable(message("signing.no_chain"))
    return SigningContext(Mode.CUSTODIAL, chain)


def _settle(
    session: Session,
    context: SigningContext,
    org: Organisation,
    settings: Settings,
    statement: dict[str, Any],
    *,
    signer: str | None = None,
) -> tuple[str | None, str | None]:
    """``(signature, signer)`` for the statement by the context's mode (see module docstring)."""
    index = len(context.statements)
    context.statements.append(statement)
    if context.mode is Mode.COLLECT:
        return None, None
    if context.mode is Mode.CUSTODIAL:
        account = _custodial_account(session, context, org, settings)
        return sign_digest(from_hex(statement["digest"]), account.private), account.address
    expected = context.expected
    if index >= len(expected) or expected[index].get("digest") != statement["digest"]:
        raise StatementMismatch(index)
    signature = context.signatures[index].lower()
    field = f"signatures[{index}]"
    recovered = recover_signer(statement["typed_data"], signature)
    if recovered is None or not org_keys.is_usable_signer(session, org, recovered):
        raise InvalidInput(message("signing.bad_signature"), field=field)
    if signer is not None and recovered != signer:
        raise InvalidInput(message("signing.recall_signer", signer=signer), field=field)
    return signature, recovered


def _recall_key(
    session: Session, context: SigningContext, org: Organisation, settings: Settings
) -> str:
    """The address that signs the recall: the custodial key, or the organisation's newest
    active key (else its newest pending one), whose nonce the statement must carry."""
    if context.mode is Mode.CUSTODIAL:
        return _custodial_account(session, context, org, settings).address
    keys = [k for k in org_keys.keys_of(session, org) if k.status != KeyStatus.REVOKED.value]
    keys.sort(key=lambda k: (k.status == KeyStatus.ACTIVE.value, k.created_at, k.id or 0))
    if not keys:
        raise SignatureRequired(message("signing.no_key"))
    return keys[-1].address


def _custodial_account(
    session: Session, context: SigningContext, org: Organisation, settings: Settings
) -> org_keys.CustodialAccount:
    """The organisation's custodial account, looked up once per write."""
    assert org.id is not None
    if org.id not in context.accounts:
        context.accounts[org.id] = org_keys.signing_key(session, org, settings)
    return context.accounts[org.id]


def _queued_recalls(session: Session, signer: str) -> int:
    """The signer's recalls in the outbox not yet mined: each will use one nonce before ours."""
    query = select(func.count()).where(
        ChainAction.kind == ChainActionKind.RECALL,
        ChainAction.signer == signer,
        col(ChainAction.status).in_([BatchStatus.PENDING, BatchStatus.SENT]),
    )
    return int(session.exec(query).one())
