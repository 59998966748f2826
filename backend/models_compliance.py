"""Tables of compliance records: a farm's season diary and the holds it puts on lots.

Kept beside ``backend/models.py`` (which re-exports them) so that each file stays short.

A farm's season diary holds what happens on a plot before any lot exists: inputs applied
(sprays, fertilisers) and a regulator's pre-harvest interval overrides. Each entry is its own
signed document (``sentrace/farm-diary@1``, docs/proof-rules.md section 13), chained per farm
by ``diary_seq``/``prev_hash`` like a lot's events, and a harvest lot's first event repeats the
entries since the farm's previous harvest, so they are proven with the lot.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.timeutil import utcnow


class DiaryEntryType(StrEnum):
    """What a season diary entry records."""

    INPUT_APPLICATION = "input_application"  # a cooperative sprayed or fertilised the plot
    PHI_OVERRIDE = "phi_override"  # a regulator lets one harvest through a running interval
    CLAIM_CONFIRMATION = "claim_confirmation"  # a regulator confirms a farm's certificate
    CLAIM_REVOCATION = "claim_revocation"  # a regulator withdraws that confirmation


#: The entry types a season's diary is made of (what a harvest repeats, what the VietGAP diary
#: lists); a regulator's review of a farm's claims is kept in the same signed chain, apart.
SEASON_ENTRY_TYPES = (DiaryEntryType.INPUT_APPLICATION.value, DiaryEntryType.PHI_OVERRIDE.value)


class FarmDiaryEntry(SQLModel, table=True):
    """One signed entry of a farm's season diary, stored as the exact bytes it hashed."""

    __tablename__ = "farm_diary_entry"
    __table_args__ = (UniqueConstraint("farm_id", "diary_seq", name="uq_diary_farm_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    entry_id: str = Field(index=True, unique=True, max_length=36)  # the UUID that is hashed
    farm_id: int = Field(foreign_key="farm.id", index=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    type: str = Field(max_length=32)  # a DiaryEntryType value
    diary_seq: int
    prev_hash: str | None = Field(default=None, max_length=66)
    occurred_at: datetime = Field(sa_type=DateTime(timezone=True))  # UTC, whole seconds
    recorded_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    canonical: bytes = Field(sa_type=LargeBinary)
    entry_hash: str = Field(max_length=66)
    signature: str | None = Field(default=None, max_length=132)
    signer: str | None = Field(default=None, max_length=42)
    # Indexes over the document, for the gate and recalls (never shown without the document).
    input_product: str | None = Field(default=None, max_length=200)
    batch_number: str | None = Field(default=None, max_length=64, index=True)
    interval_ends_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # An override is spent by the harvest it let through.
    used_by_lot_id: int | None = Field(default=None, foreign_key="lot.id")
    # Private values behind the document's commitments: {path: {"value": ..., "salt": "0x…"}}.
    disclosures: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class LotHold(SQLModel, table=True):
    """A lot harvested through an override: packing and labels wait until ``clear_at``."""

    __tablename__ = "lot_hold"

    lot_id: int = Field(foreign_key="lot.id", primary_key=True)
    clear_at: datetime = Field(sa_type=DateTime(timezone=True))
    override_entry_id: str = Field(max_length=36)
    input_product: str = Field(max_length=200)
    applied_at: datetime = Field(sa_type=DateTime(timezone=True))


# Registered with the metadata wherever the models are (``backend.models`` imports this module).
from backend.models_areas import (  # noqa: E402, F401
    AreaClaimRefusal,
    CapRaise,
    CropYield,
    GrowingArea,
    GrowingAreaFarm,
)
from backend.models_custody import Shipment, ShipmentStatus  # noqa: E402, F401
from backend.models_recall import (  # noqa: E402, F401
    RecallNotice,
    RecallNotification,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
