"""Tables of recall notices: who was told, in the operator app and through their webhook.

Kept beside ``backend/models.py`` (``backend.models_compliance`` imports this module so the
tables register with the metadata). A notice names what was recalled (a lot, or an input
product's batch number), the lots it reaches and, per custodian organisation, one notification
in the operator app and, when the organisation set a webhook, one delivery with its attempts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, LargeBinary
from sqlmodel import Field, SQLModel

from backend.timeutil import utcnow


class RecallNotice(SQLModel, table=True):
    """A regulator's notice about a recalled lot or input batch, and the lots it reaches."""

    __tablename__ = "recall_notice"

    id: int | None = Field(default=None, primary_key=True)
    source_kind: str = Field(max_length=16)  # "lot" | "input_batch"
    source_ref: str = Field(max_length=64)
    reason: str = Field(max_length=1000)
    org_id: int = Field(foreign_key="organisation.id")
    lot_count: int = 0
    #: The ``recall`` event this notice was made for with the recall itself (None: a notice a
    #: regulator issued on its own); unique, so a recall notifies once.
    recall_event_id: str | None = Field(default=None, max_length=36, unique=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class RecallNotification(SQLModel, table=True):
    """One custodian's notice in the operator app: the affected lots it holds."""

    __tablename__ = "recall_notification"

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="recall_notice.id", index=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    lots: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    read_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class WebhookEndpoint(SQLModel, table=True):
    """An organisation's webhook: where notices are posted and the HMAC secret, sealed."""

    __tablename__ = "webhook_endpoint"

    org_id: int = Field(foreign_key="organisation.id", primary_key=True)
    url: str = Field(max_length=500)
    secret_sealed: bytes = Field(sa_type=LargeBinary)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class WebhookDelivery(SQLModel, table=True):
    """One notification to post to one webhook, retried with back-off until it lands."""

    __tablename__ = "webhook_delivery"

    id: int | None = Field(default=None, primary_key=True)
    notification_id: int = Field(foreign_key="recall_notification.id", index=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    url: str = Field(max_length=500)
    body: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    status: str = Field(default="pending", max_length=16, index=True)  # pending|delivered|failed
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    claimed_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    delivered_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class WebhookAttempt(SQLModel, table=True):
    """One try of a delivery: the delivery log an organisation reads."""

    __tablename__ = "webhook_attempt"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_delivery.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    status_code: int | None = None
    error: str | None = Field(default=None, max_length=500)
    duration_ms: int = 0
