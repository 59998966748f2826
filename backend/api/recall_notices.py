"""Recall impact and notices: what a recall reaches, telling every custodian, webhooks.

A regulator reads the impact of a recalled lot or input batch (JSON, CSV or PDF) and issues a
notice; each custodian reads its notifications and its webhook's delivery log here, and sets
its webhook (the secret is shown once).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from backend.api.deps import CurrentOrg, SessionDep, SettingsDep, WriteDep
from backend.i18n import negotiate_language, translator
from backend.models import Organisation
from backend.models_recall import RecallNotification
from backend.services.accounts import permissions
from backend.services.compliance import notices, recall_export, webhooks
from backend.services.compliance.recall_impact import Impact

router = APIRouter(tags=["recalls"])

Code = Annotated[str | None, Query(max_length=64)]


class AffectedLotPublic(BaseModel):
    code: str
    product: str
    quantity: str
    unit: str
    depth: int
    custodian: str
    custodian_name: str
    recalled: bool
    labels_printed: int
    scans: int


class ImpactPublic(BaseModel):
    source: dict[str, str]
    lot_count: int
    custodian_count: int
    lots: list[AffectedLotPublic]


class NoticeCreate(BaseModel):
    """Body of ``POST /recall-notices``: exactly one of ``lot`` and ``input_batch``."""

    model_config = ConfigDict(extra="forbid")
    lot: str | None = Field(default=None, max_length=64)
    input_batch: str | None = Field(default=None, max_length=64)
    reason: str = Field(max_length=2000)


class NotificationPublic(BaseModel):
    id: int
    notice: int
    org: str
    lots: list[str]
    read_at: datetime | None
    created_at: datetime


class NoticePublic(BaseModel):
    id: int
    source: dict[str, str]
    reason: str
    lot_count: int
    notified: list[NotificationPublic]
    webhook_deliveries: int


class WebhookSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=1000)


class WebhookPublic(BaseModel):
    url: str
    secret: str | None  # shown once, in the answer that set it


class AttemptPublic(BaseModel):
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class DeliveryPublic(BaseModel):
    id: int
    notification: int
    url: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    log: list[AttemptPublic]


@router.get("/api/v1/recall-impact", response_model=ImpactPublic)
def recall_impact(
    request: Request,
    org: CurrentOrg,
    session: SessionDep,
    lot: Code = None,
    input_batch: Code = None,
    format: Literal["json", "csv", "pdf"] = "json",
) -> Response:
    """Every lot downstream of a recalled lot or input batch (regulators)."""
    permissions.require_role(org, permissions.RECALLERS)
    impact = notices.impact_for(session, lot=lot, input_batch=input_batch)
    name = f"recall-impact-{impact.source_ref}"
    if format == "csv":
        return Response(
            recall_export.impact_csv(impact),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if format == "pdf":
        language = negotiate_language(
            request.query_params.get("lang"), request.headers.get("accept-language")
        )
        return Response(
            recall_export.impact_pdf(impact, translator(language)),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
        )
    return JSONResponse(impact_public(impact).model_dump(mode="json"))


@router.post("/api/v1/recall-notices", status_code=201, response_model=NoticePublic)
def issue_notice(
    request: Request, body: NoticeCreate, org: CurrentOrg, session: SessionDep, write: WriteDep
) -> JSONResponse:
    """Tell every custodian of an affected lot (operator app, and their webhook if set)."""

    def action() -> NoticePublic:
        notice, notified = notices.issue_notice(
            session, org=org, lot=body.lot, input_batch=body.input_batch, reason=body.reason
        )
        slugs = _slugs(session, [n.org_id for n in notified])
        assert notice.id is not None
        return NoticePublic(
            id=notice.id,
            source={"kind": notice.source_kind, "ref": notice.source_ref},
            reason=notice.reason,
            lot_count=notice.lot_count,
            notified=[_notification(n, slugs) for n in notified],
            webhook_deliveries=notices.deliveries_of(session, notice=notice),
        )

    answer = write.run(action)
    sender = getattr(request.app.state, "webhook_sender", None)
    if sender is not None and answer.status_code == 201:
        sender.wake()  # post now rather than at the next poll
    return answer


@router.get("/api/v1/notifications", response_model=list[NotificationPublic])
def my_notifications(org: CurrentOrg, session: SessionDep) -> list[NotificationPublic]:
    """The caller's recall notifications, newest first."""
    slugs = {org.id or 0: org.slug}
    return [_notification(n, slugs) for n in notices.notifications_for(session, org=org)]


@router.put("/api/v1/webhook", response_model=WebhookPublic)
def set_webhook(
    body: WebhookSet, org: CurrentOrg, session: SessionDep, settings: SettingsDep, write: WriteDep
) -> JSONResponse:
    """Set the caller's webhook; the answer shows its HMAC secret this once."""

    def action() -> WebhookPublic:
        endpoint, secret = webhooks.set_endpoint(session, org=org, url=body.url, settings=settings)
        return WebhookPublic(url=endpoint.url, secret=secret)

    return write.run(action, status_code=200, secret_fields=("secret",))


@router.get("/api/v1/webhook/deliveries", response_model=list[DeliveryPublic])
def delivery_log(org: CurrentOrg, session: SessionDep) -> list[DeliveryPublic]:
    """The caller's webhook deliveries, newest first, each with every attempt."""
    return [
        DeliveryPublic(
            id=row.id or 0,
            notification=row.notification_id,
            url=row.url,
            status=row.status,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at if row.status == "pending" else None,
            delivered_at=row.delivered_at,
            log=[
                AttemptPublic(
                    at=a.at, status_code=a.status_code, error=a.error, duration_ms=a.duration_ms
                )
                for a in attempts
            ],
        )
        for row, attempts in webhooks.deliveries_for(session, org=org)
    ]


def impact_public(impact: Impact) -> ImpactPublic:
    return ImpactPublic(
        source={"kind": impact.source_kind, "ref": impact.source_ref},
        lot_count=len(impact.lots),
        custodian_count=len(impact.custodians),
        lots=[
            AffectedLotPublic(
                code=lot.code,
                product=lot.product,
                quantity=lot.quantity,
                unit=lot.unit,
                depth=lot.depth,
                custodian=lot.custodian_slug,
                custodian_name=lot.custodian_name,
                recalled=lot.recalled,
                labels_printed=lot.labels_printed,
                scans=lot.scans,
            )
            for lot in impact.lots
        ],
    )


def _slugs(session: Session, ids: list[int]) -> dict[int, str]:
    return {i: org.slug for i in ids if (org := session.get(Organisation, i)) is not None}


def _notification(n: RecallNotification, slugs: dict[int, str]) -> NotificationPublic:
    assert n.id is not None
    return NotificationPublic(
        id=n.id,
        notice=n.notice_id,
        org=slugs.get(n.org_id, ""),
        lots=list(n.lots),
        read_at=n.read_at,
        created_at=n.created_at,
    )
