"""Recalls: a regulator withdraws a lot, off chain and on chain.

The recall is three writes in one transaction: the ``recall`` event (hashed and anchored like
any other), the lot's recall status (what pages read), and a ``RECALL`` chain action carrying
keccak256 of the reason, so the chain itself can answer "is this lot recalled?" for anyone who
knows the lot code, without our server. Descendants are not touched: verification treats a lot
whose ancestor is recalled as recalled.

The chain accepts the recall only with the regulator's own signature (``recallWithSignature``;
the platform relays it and pays the gas): the action carries the ``Recall`` statement's signer,
signature, nonce and deadline, signed as the write's signing context says, like its event.

A recall also tells everyone holding the lot or a lot made from it, in the same transaction
(``compliance.notices.notify_recall``): a notice in the operator app and, where set, a signed
webhook delivery, once per recall.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from backend.config import Settings
from backend.errors import Conflict
from backend.hashing import keccak, lot_key, to_hex
from backend.i18n.messages import message
from backend.models import ChainAction, ChainActionKind, Event, EventType, Lot, Organisation
from backend.services import validation
from backend.services.accounts import permissions
from backend.services.compliance import notices
from backend.services.ledger.events import record_event
from backend.services.ledger.locking import lock_lot
from backend.services.signing import sign_recall
from backend.timeutil import utcnow

ALREADY_RECALLED = message("ledger.already_recalled")
REASON_MAX = 1000


def recall_lot(
    session: Session,
    *,
    lot_code: str,
    org: Organisation,
    reason: str,
    occurred_at: datetime | None = None,
    settings: Settings,
) -> tuple[Lot, Event]:
    """Recall a lot for ``reason`` (NFC); only a regulator may, and only once."""
    permissions.require_role(org, permissions.RECALLERS)
    clean_reason = validation.required_text(
        reason, field="reason", max_length=REASON_MAX, multiline=True
    )
    lot = lock_lot(session, lot_code)
    if lot.recalled_at is not None:
        raise Conflict(ALREADY_RECALLED)
    event = record_event(
        session,
        lot=lot,
        org=org,
        event_type=EventType.RECALL,
        occurred_at=occurred_at or utcnow(),
        location=None,
        data={"reason": clean_reason},
        settings=settings,
    )
    lot.recalled_at = event.occurred_at
    lot.recall_reason = clean_reason
    session.add(lot)
    reason_hash = to_hex(keccak(clean_reason.encode("utf-8")))
    signed = sign_recall(session, lot=lot, org=org, reason_hash=reason_hash, settings=settings)
    session.add(
        ChainAction(
            kind=ChainActionKind.RECALL,
            event_id=event.id,
            lot_key=to_hex(lot_key(lot.code)),
            payload_hash=reason_hash,
            signer=signed.signer,
            signature=signed.signature,
            nonce=signed.nonce,
            deadline=signed.deadline,
        )
    )
    session.flush()
    notices.notify_recall(session, org=org, lot=lot, event=event)
    return lot, event
