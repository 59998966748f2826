"""Recall notices: every custodian of an affected lot is told, in the app and by webhook.

A regulator issues a notice from a lot or an input batch; its impact (``recall_impact``) names
the lots and who holds each now. Each of those organisations gets one notification listing its
lots, shown in the operator app, and, when it set a webhook, one delivery that the webhook
sender (``webhooks``) posts, signed with HMAC-SHA256, retried with back-off, every attempt
logged. Notices are written in the request's transaction, so a notice is never half made.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from backend.errors import Conflict, InvalidInput
from backend.i18n.messages import message
from backend.models import Event, Lot, Organisation
from backend.models_recall import (
    RecallNotice,
    RecallNotification,
    WebhookDelivery,
    WebhookEndpoint,
)
from backend.services import validation
from backend.services.accounts import permissions
from backend.services.compliance.recall_impact import Impact, impact_of_input_batch, impact_of_lot
from backend.timeutil import rfc3339_z, utcnow

EVENT_NAME = "recall.notice"


def impact_for(session: Session, *, lot: str | None, input_batch: str | None) -> Impact:
    """The impact of exactly one source: a lot code or an input batch number."""
    if (lot is None) == (input_batch is None):
        raise InvalidInput(message("compliance.recall.one_source"), field="lot")
    if lot is not None:
        return impact_of_lot(session, lot_code=lot)
    assert input_batch is not None
    return impact_of_input_batch(session, batch_number=input_batch)


def issue_notice(
    session: Session,
    *,
    org: Organisation,
    lot: str | None,
    input_batch: str | None,
    reason: Any,
) -> tuple[RecallNotice, list[RecallNotification]]:
    """A regulator's notice to every custodian its impact names. A recalled lot's recall has
    told them already (:func:`notify_recall`): a second notice for it is refused (409)."""
    permissions.require_role(org, permissions.RECALLERS)
    text = validation.required_text(reason, field="reason", max_length=1000, multiline=True)
    impact = impact_for(session, lot=lot, input_batch=input_batch)
    if lot is not None:
        sent = _notice_of_recall(session, lot_code=lot)
        if sent is not None:
            raise Conflict(
                message("compliance.recall.already_notified", lot=lot, notice=sent.id),
                field="lot",
            )
    return _issue(session, org=org, impact=impact, reason=text, recall_event_id=None)


def notify_recall(
    session: Session, *, org: Organisation, lot: Lot, event: Event
) -> tuple[RecallNotice, list[RecallNotification]]:
    """The notice a recall makes of itself, in the recall's transaction: every custodian of
    the lot and of every lot made from it is told, once per recall (the notice names the
    ``recall`` event, a unique column), however often the request is replayed."""
    existing = session.exec(
        select(RecallNotice).where(RecallNotice.recall_event_id == event.id)
    ).first()
    if existing is not None:
        return existing, _notifications(session, existing)
    impact = impact_of_lot(session, lot_code=lot.code)
    return _issue(
        session, org=org, impact=impact, reason=lot.recall_reason or "", recall_event_id=event.id
    )


def _notice_of_recall(session: Session, *, lot_code: str) -> RecallNotice | None:
    """The notice the lot's recall made, if the lot is recalled and its recall notified."""
    return session.exec(
        select(RecallNotice)
        .join(Event, col(Event.id) == col(RecallNotice.recall_event_id))
        .join(Lot, col(Lot.id) == col(Event.lot_id))
        .where(Lot.code == lot_code)
    ).first()


def _notifications(session: Session, notice: RecallNotice) -> list[RecallNotification]:
    query = select(RecallNotification).where(RecallNotification.notice_id == notice.id)
    return list(session.exec(query.order_by(col(RecallNotification.org_id))))


def _issue(
    session: Session,
    *,
    org: Organisation,
    impact: Impact,
    reason: str,
    recall_event_id: str | None,
) -> tuple[RecallNotice, list[RecallNotification]]:
    """The notice, one notification per custodian and one delivery per webhook set."""
    assert org.id is not None
    notice = RecallNotice(
        source_kind=impact.source_kind,
        source_ref=impact.source_ref,
        reason=reason,
        org_id=org.id,
        lot_count=len(impact.lots),
        recall_event_id=recall_event_id,
    )
    session.add(notice)
    session.flush()
    assert notice.id is not None
    notifications: list[RecallNotification] = []
    for custodian_id, lots in sorted(impact.custodians.items()):
        notification = RecallNotification(
            notice_id=notice.id, org_id=custodian_id, lots=[lot.code for lot in lots]
        )
        session.add(notification)
        notifications.append(notification)
    session.flush()
    endpoints = {
        e.org_id: e
        for e in session.exec(
            select(WebhookEndpoint).where(
                col(WebhookEndpoint.org_id).in_([n.org_id for n in notifications])
            )
        )
    }
    for notification in notifications:
        endpoint = endpoints.get(notification.org_id)
        if endpoint is None:
            continue
        assert notification.id is not None
        session.add(
            WebhookDelivery(
                notification_id=notification.id,
                org_id=notification.org_id,
                url=endpoint.url,
                body=payload(notice, notification, issuer=org),
                next_attempt_at=utcnow(),
            )
        )
    session.flush()
    return notice, notifications


def payload(
    notice: RecallNotice, notification: RecallNotification, *, issuer: Organisation
) -> dict[str, Any]:
    """What a webhook receives (and what its signature covers, as canonical JSON bytes)."""
    return {
        "event": EVENT_NAME,
        "notice": notice.id,
        "notification": notification.id,
        "source": {"kind": notice.source_kind, "ref": notice.source_ref},
        "reason": notice.reason,
        "issued_by": {"org": issuer.slug, "name": issuer.name},
        "issued_at": rfc3339_z(notice.created_at),
        "lots": list(notification.lots),
    }


def notifications_for(session: Session, *, org: Organisation) -> list[RecallNotification]:
    """The organisation's notifications, newest first."""
    query = select(RecallNotification).where(RecallNotification.org_id == org.id)
    return list(session.exec(query.order_by(col(RecallNotification.id).desc())))


def unread_count(session: Session, *, org: Organisation) -> int:
    rows = session.exec(
        select(RecallNotification.id).where(
            RecallNotification.org_id == org.id, col(RecallNotification.read_at).is_(None)
        )
    ).all()
    return len(rows)


def deliveries_of(session: Session, *, notice: RecallNotice) -> int:
    """How many webhook deliveries the notice queued."""
    query = (
        select(WebhookDelivery.id)
        .join(
            RecallNotification, col(RecallNotification.id) == col(WebhookDelivery.notification_id)
        )
        .where(RecallNotification.notice_id == notice.id)
    )
    return len(session.exec(query).all())


def recent_for(
    session: Session, *, org: Organisation, limit: int = 10
) -> list[tuple[RecallNotice, RecallNotification, str]]:
    """The organisation's latest notifications with their notice and issuer's name (the
    operator app's dashboard lists them)."""
    rows = session.exec(
        select(RecallNotification, RecallNotice, Organisation)
        .join(RecallNotice, col(RecallNotice.id) == col(RecallNotification.notice_id))
        .join(Organisation, col(Organisation.id) == col(RecallNotice.org_id))
        .where(RecallNotification.org_id == org.id)
        .order_by(col(RecallNotification.id).desc())
        .limit(limit)
    ).all()
    return [(notice, notification, issuer.name) for notification, notice, issuer in rows]
