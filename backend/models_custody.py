"""The table of two-step custody: a transfer's shipment, open until its receiver answers.

Kept beside ``backend/models.py`` (``backend.models_compliance`` imports this module so the
table registers with the metadata). A shipment is the operational state of a ``transfer``
event whose ``data.shipment`` names it: open while the lot is in transit (``Lot.in_transit_to``
names the receiver), then received, refused or voided by the event that closed it. Pages show
the state from the events' documents; this row only answers "who may do what now".
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel

from backend.timeutil import utcnow


class ShipmentStatus(StrEnum):
    OPEN = "open"  # sent, waiting for the receiver
    RECEIVED = "received"  # the receiver took custody
    REFUSED = "refused"  # the receiver refused; the sender kept custody
    VOIDED = "voided"  # the sender cancelled it after it expired unanswered


class Shipment(SQLModel, table=True):
    """One transfer on its way: from whom, to whom, since when, and how it ended."""

    id: str = Field(primary_key=True, max_length=36)  # the UUID the events' data name
    lot_id: int = Field(foreign_key="lot.id", index=True)
    from_org_id: int = Field(foreign_key="organisation.id", index=True)
    to_org_id: int = Field(foreign_key="organisation.id", index=True)
    transfer_event_id: str = Field(max_length=36)
    status: str = Field(default=ShipmentStatus.OPEN.value, max_length=16, index=True)
    sent_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    closed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    closing_event_id: str | None = Field(default=None, max_length=36)
    reason: str | None = Field(default=None, max_length=1000)
