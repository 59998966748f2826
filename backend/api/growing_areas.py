"""Growing areas ("mã số vùng trồng"): the registry, each area's balance, yields and cap raises.

Registry records, not events: nothing here is shown to consumers as proven, so there is
nothing to sign; the writes still run through :class:`~backend.api.writes.Write` (idempotency,
one commit, errors mapped in one place).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from sqlmodel import Session, col, select

from backend.api.deps import CurrentOrg, SessionDep, WriteDep
from backend.models import Organisation
from backend.models_areas import CapRaise, GrowingArea
from backend.schemas_compliance import (
    AreaBalance,
    CapRaiseCreate,
    CapRaisePublic,
    CropYieldPublic,
    CropYieldSet,
    GrowingAreaCreate,
    GrowingAreaPublic,
)
from backend.services.compliance import areas, mass_balance
from backend.timeutil import utcnow

router = APIRouter(tags=["growing areas"])

Season = Annotated[str | None, Query(max_length=16, pattern=r"^(19|20)[0-9]{2}$")]


@router.post("/api/v1/growing-areas", status_code=201, response_model=GrowingAreaPublic)
def register_area(
    body: GrowingAreaCreate, org: CurrentOrg, session: SessionDep, write: WriteDep
) -> JSONResponse:
    """Register an area with its farms (a regulator, or the cooperative that holds it)."""

    def action() -> GrowingAreaPublic:
        area = areas.register_area(session, org=org, **body.model_dump())
        return area_public(session, area, season=None)

    return write.run(action)


@router.get("/api/v1/growing-areas/{code}", response_model=GrowingAreaPublic)
def get_area(
    code: str, org: CurrentOrg, session: SessionDep, season: Season = None
) -> GrowingAreaPublic:
    """An area with its balance for ``season`` (a year; this year by default)."""
    return area_public(session, areas.require_area(session, code), season=season)


@router.post(
    "/api/v1/growing-areas/{code}/cap-raises", status_code=201, response_model=GrowingAreaPublic
)
def raise_cap(
    code: str, body: CapRaiseCreate, org: CurrentOrg, session: SessionDep, write: WriteDep
) -> JSONResponse:
    """A regulator raises an area's cap for one season, with the reason."""

    def action() -> GrowingAreaPublic:
        raised = areas.raise_cap(session, org=org, code=code, **body.model_dump())
        return area_public(session, areas.require_area(session, code), season=raised.season)

    return write.run(action)


@router.put("/api/v1/crop-yields/{crop}", response_model=CropYieldPublic)
def set_yield(
    crop: str, body: CropYieldSet, org: CurrentOrg, session: SessionDep, write: WriteDep
) -> JSONResponse:
    """A regulator sets a crop's expected yield in tonnes per hectare per season."""

    def action() -> CropYieldPublic:
        row = areas.set_crop_yield(session, org=org, crop=crop, tonnes_per_ha=body.tonnes_per_ha)
        return CropYieldPublic(crop=row.crop, tonnes_per_ha=row.tonnes_per_ha)

    return write.run(action, status_code=200)


def area_public(session: Session, area: GrowingArea, *, season: str | None) -> GrowingAreaPublic:
    """The area's answer, its balance for ``season`` (this year on Đồng Tháp's clock)."""
    chosen = season or mass_balance.season_of(utcnow())
    holder = session.get(Organisation, area.holder_org_id)
    assert holder is not None  # foreign key
    raises = session.exec(
        select(CapRaise, Organisation)
        .join(Organisation, col(Organisation.id) == col(CapRaise.org_id))
        .where(CapRaise.area_id == area.id)
        .order_by(col(CapRaise.id))
    ).all()
    return GrowingAreaPublic(
        code=area.code,
        holder=holder.slug,
        holder_name=holder.name,
        area_ha=area.area_ha,
        crop=area.crop,
        markets=list(area.markets),
        farms=[farm.code for farm in areas.member_farms(session, area)],
        valid_from=area.valid_from.isoformat(),
        valid_until=area.valid_until.isoformat() if area.valid_until else None,
        balance=area_balance(session, area, chosen),
        cap_raises=[
            CapRaisePublic(
                season=r.season, kg=r.kg, reason=r.reason, by=o.name, created_at=r.created_at
            )
            for r, o in raises
        ],
    )


def area_balance(session: Session, area: GrowingArea, season: str) -> AreaBalance:
    found = mass_balance.balance(session, area, season)
    share = (found.share * 100).quantize(Decimal("0.1"))
    status = (
        "full" if found.share >= 1 else "warn" if found.share > mass_balance.WARN_SHARE else "ok"
    )
    return AreaBalance(
        season=season,
        tonnes_per_ha=format(areas.crop_yield(session, area.crop).normalize(), "f"),
        cap_kg=format(found.cap_kg.normalize(), "f"),
        harvested_kg=format(found.harvested_kg.normalize(), "f"),
        share_percent=format(share, "f"),
        status=status,
    )
