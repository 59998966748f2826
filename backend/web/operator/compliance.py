"""The regulator's compliance dashboard: areas against caps, borrowed codes, overrides; CSV."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from backend.services.compliance import mass_balance, oversight
from backend.timeutil import utcnow
from backend.web.operator.context import page
from backend.web.operator.deps import RegulatorDep, SessionDep
from backend.web.operator.routing import OperatorRoute

router = APIRouter(prefix="/app", tags=["operator"], route_class=OperatorRoute)


def _season(request: Request) -> str:
    asked = request.query_params.get("season", "")
    return asked if len(asked) == 4 and asked.isdigit() else mass_balance.season_of(utcnow())


@router.get("/compliance", include_in_schema=False)
def dashboard(request: Request, _regulator: RegulatorDep, session: SessionDep) -> Response:
    season = _season(request)
    return page(
        request,
        "app/compliance.html",
        season=season,
        areas=oversight.area_rows(session, season=season),
        claims=oversight.claim_rows(session),
        overrides=oversight.override_rows(session),
    )


@router.get("/compliance.csv", include_in_schema=False)
def dashboard_csv(request: Request, _regulator: RegulatorDep, session: SessionDep) -> Response:
    season = _season(request)
    return Response(
        oversight.dashboard_csv(session, season=season),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="compliance-{season}.csv"'},
    )
