"""Tables of the growing-area registry ("mã số vùng trồng") and its mass balance.

Kept beside ``backend/models.py`` (which re-exports them) so that each file stays short. A
growing area is held by one organisation, covers some hectares of one crop, lists the farms
(households) inside it, and is valid between two dates; the yield a regulator expects per
hectare of its crop times its area caps what may be harvested under its code per season.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Column, Date, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from backend.timeutil import utcnow


class GrowingArea(SQLModel, table=True):
    """A registered growing area and what its code allows."""

    __tablename__ = "growing_area"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(index=True, unique=True, max_length=64)
    holder_org_id: int = Field(foreign_key="organisation.id", index=True)
    area_ha: str = Field(max_length=32)  # positive decimal string
    crop: str = Field(max_length=64)  # a product code (xoai, nhan, …)
    markets: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    valid_from: date = Field(sa_type=Date)
    valid_until: date | None = Field(default=None, sa_type=Date)
    registered_by_org_id: int = Field(foreign_key="organisation.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class GrowingAreaFarm(SQLModel, table=True):
    """A farm (household) inside a growing area: only these may claim its code."""

    __tablename__ = "growing_area_farm"

    area_id: int = Field(foreign_key="growing_area.id", primary_key=True)
    farm_id: int = Field(foreign_key="farm.id", primary_key=True, index=True)


class CropYield(SQLModel, table=True):
    """The yield a regulator expects of a crop, in tonnes per hectare per season."""

    __tablename__ = "crop_yield"

    crop: str = Field(primary_key=True, max_length=64)
    tonnes_per_ha: str = Field(max_length=32)
    set_by_org_id: int = Field(foreign_key="organisation.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class CapRaise(SQLModel, table=True):
    """A regulator's raise of one area's cap for one season, with its reason."""

    __tablename__ = "cap_raise"
    __table_args__ = (UniqueConstraint("area_id", "season", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="growing_area.id", index=True)
    season: str = Field(max_length=16)
    kg: str = Field(max_length=32)
    reason: str = Field(max_length=1000)
    org_id: int = Field(foreign_key="organisation.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class AreaClaimRefusal(SQLModel, table=True):
    """A harvest refused for the growing-area code it claimed (kept for the regulator)."""

    __tablename__ = "area_claim_refusal"

    id: int | None = Field(default=None, primary_key=True)
    area_code: str = Field(index=True, max_length=64)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    farm_code: str = Field(max_length=64)
    kind: str = Field(max_length=32)  # "not_member" | "over_cap" | "expired"
    quantity_kg: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
