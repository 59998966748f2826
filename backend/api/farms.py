"""Farms: a cooperative registers its farms and lists them."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from backend.api import presenters
from backend.api.deps import CurrentOrg, SessionDep, WriteDep
from backend.schemas import FarmCreate, FarmPublic
from backend.services.catalog import farms

router = APIRouter(prefix="/api/v1/farms", tags=["farms"])


@router.post("", status_code=201, response_model=FarmPublic)
def create_farm(
    body: FarmCreate, org: CurrentOrg, session: SessionDep, write: WriteDep
) -> JSONResponse:
    """Register a farm owned by the calling cooperative."""

    def action() -> FarmPublic:
        farm = farms.create_farm(
            session,
            org=org,
            code=body.code,
            name=body.name,
            commune=body.commune,
            province=body.province,
            lat=body.lat,
            lon=body.lon,
            area_ha=body.area_ha,
            growing_area_code=body.growing_area_code,
            certifications=[c.model_dump() for c in body.certifications],
        )
        return presenters.farm_public(farm, org)

    return write.run(action)


@router.get("", response_model=list[FarmPublic])
def list_farms(org: CurrentOrg, session: SessionDep) -> list[FarmPublic]:
    """The calling organisation's own farms."""
    return [presenters.farm_public(farm, org) for farm in farms.list_farms(session, org=org)]
