"""API shapes of compliance records: the season diary of a farm and interval overrides.

As in ``backend/schemas.py``, inputs check shape only; the services check meaning and name the
field in their errors.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from backend.models import FarmDiaryEntry
from backend.schemas import Decimalish, Timestamp


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
    document = json.loads(entry.canonical)
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
