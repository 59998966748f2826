"""Bodies and answers of two-step custody: transfer (send), receive, refuse, cancel-shipment."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from backend.schemas import EventAccepted, JsonObject, OrgPublic, Timestamp, _Input


class ReceiveRequest(_Input):
    """Body of ``POST /lots/{code}/receive`` (the shipment's receiver)."""

    occurred_at: Timestamp | None = None
    location: JsonObject | None = None
    note: str | None = Field(default=None, max_length=2000)


class RefuseRequest(_Input):
    """Body of ``POST /lots/{code}/refuse`` (the shipment's receiver): why it is refused."""

    reason: str = Field(max_length=2000)
    occurred_at: Timestamp | None = None


class CancelShipmentRequest(_Input):
    """Body of ``POST /lots/{code}/cancel-shipment`` (the sender, once the shipment expired)."""

    occurred_at: Timestamp | None = None
    note: str | None = Field(default=None, max_length=2000)


class ShipmentPublic(BaseModel):
    """A shipment as its two parties see it."""

    id: str
    status: Literal["open", "received", "refused", "voided"]
    sender: OrgPublic
    receiver: OrgPublic
    sent_at: datetime
    cancellable_from: datetime = Field(
        description="When the sender may cancel it if the receiver has not answered."
    )
    reason: str | None = Field(description="Why the receiver refused it.")


class ShipmentChanged(BaseModel):
    """Answer to a transfer, receive, refuse or cancel: who holds the lot now, the shipment,
    and the event recording the step."""

    code: str
    custodian: OrgPublic
    in_transit: bool
    shipment: ShipmentPublic
    event: EventAccepted
