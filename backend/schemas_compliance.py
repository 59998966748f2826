"""API shapes of compliance records: the season diary of a farm and interval overrides.

As in ``backend/schemas.py``, inputs check shape only; the services check meaning and name the
field in their errors.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from backend.json_depth import loads_bounded
from backend.models import FarmDiaryEntry
from backend.schemas import Decimalish, LotCreated, Timestamp


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InputApplicationCreate(_Input):
    """Body of ``POST /farms/{code}/inputs`` (the owning cooperative)."""

    product: str = Field(max_length=400)
    active_ingredient: str = Field(max_length=400)
    registration_number: str | None = Field(default=None, max_length=128)
    batch_number: str | None = Field(default=None, max_length=128)
    dose: Decimalish
    unit: str = Field(max_length=64)
    pre_harvest_interval_days: Any
    operator: str = Field(max_length=400)
    applied_at: Timestamp
    note: str | None = Field(default=None, max_length=4000)


class OverrideCreate(_Input):
    """Body of ``POST /farms/{code}/phi-overrides`` (a regulator)."""

    reason: str = Field(max_length=2000)


class DiaryEntryPublic(BaseModel):
    """A diary entry as recorded: its document (operator committed), hash and signature."""

    id: str
    farm: str
    seq: int
    type: str
    occurred_at: datetime
    entry_hash: str
    signature: str | None
    signer: str | None
    interval_ends_at: datetime | None
    document: dict[str, Any]


def diary_entry_public(entry: FarmDiaryEntry) -> DiaryEntryPublic:
    """The answer for one stored entry, its document read from the bytes that were hashed."""
    document = loads_bounded(entry.canonical)
    return DiaryEntryPublic(
        id=entry.entry_id,
        farm=document["farm"],
        seq=entry.diary_seq,
        type=entry.type,
        occurred_at=entry.occurred_at,
        entry_hash=entry.entry_hash,
        signature=entry.signature,
        signer=entry.signer,
        interval_ends_at=entry.interval_ends_at,
        document=document,
    )


class LotCreatedWithWarnings(LotCreated):
    """``POST /lots`` answer when the harvest went through with warnings."""

    warnings: list[str]


class GrowingAreaCreate(_Input):
    """Body of ``POST /growing-areas`` (a regulator, or the holder cooperative)."""

    code: str = Field(max_length=128)
    holder: str = Field(max_length=128)
    area_ha: Decimalish
    crop: str = Field(max_length=128)
    markets: list[str] = Field(default_factory=list, max_length=100)
    farms: list[str] = Field(default_factory=list, max_length=5000)
    valid_from: str = Field(max_length=32)
    valid_until: str | None = Field(default=None, max_length=32)


class CapRaiseCreate(_Input):
    """Body of ``POST /growing-areas/{code}/cap-raises`` (a regulator)."""

    season: str = Field(max_length=32)
    kg: Decimalish
    reason: str = Field(max_length=2000)


class CropYieldSet(_Input):
    """Body of ``PUT /crop-yields/{crop}`` (a regulator)."""

    tonnes_per_ha: Decimalish


class CropYieldPublic(BaseModel):
    crop: str
    tonnes_per_ha: str


class CapRaisePublic(BaseModel):
    season: str
    kg: str
    reason: str
    by: str
    created_at: datetime


class AreaBalance(BaseModel):
    """One season of an area: its cap, what was harvested under its code, and the share."""

    season: str
    tonnes_per_ha: str
    cap_kg: str
    harvested_kg: str
    share_percent: str
    status: str  # "ok" | "warn" (past 90 %) | "full" (at the cap)


class GrowingAreaPublic(BaseModel):
    """An area as registered, with its members and the balance of the asked season."""

    code: str
    holder: str
    holder_name: str
    area_ha: str
    crop: str
    markets: list[str]
    farms: list[str]
    valid_from: str
    valid_until: str | None
    balance: AreaBalance
    cap_raises: list[CapRaisePublic]


class CertificationConfirmationCreate(_Input):
    """Body of ``POST /farms/{code}/certification-confirmations`` (a regulator)."""

    scheme: str = Field(max_length=80)
    number: str = Field(max_length=128)
    note: str | None = Field(default=None, max_length=2000)


class CertificationRevocationCreate(_Input):
    """Body of ``POST /farms/{code}/certification-revocations`` (a regulator)."""

    scheme: str = Field(max_length=80)
    number: str = Field(max_length=128)
    reason: str = Field(max_length=2000)
