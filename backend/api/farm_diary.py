"""A farm's season diary: inputs applied by its cooperative, interval overrides by a regulator.

Both are signed writes (the 428 draft → signatures protocol of ``api.writes``), so the
platform cannot write either in an organisation's name.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from backend.api.deps import CurrentOrg, SessionDep, SettingsDep, WriteDep
from backend.i18n import negotiate_language, translator
from backend.schemas_compliance import (
    DiaryEntryPublic,
    InputApplicationCreate,
    OverrideCreate,
    diary_entry_public,
)
from backend.services.compliance import diary, inputs, vietgap_report
from backend.services.compliance.mass_balance import season_of
from backend.timeutil import utcnow

router = APIRouter(prefix="/api/v1/farms", tags=["season diary"])


@router.post("/{code}/inputs", status_code=201, response_model=DiaryEntryPublic)
def record_input(
    code: str,
    body: InputApplicationCreate,
    org: CurrentOrg,
    session: SessionDep,
    settings: SettingsDep,
    write: WriteDep,
) -> JSONResponse:
    """Record an input applied to one of the caller's farms (before any lot exists)."""

    def action() -> DiaryEntryPublic:
        application = inputs.input_application(**body.model_dump())
        entry = diary.record_input(
            session, org=org, farm_code=code, application=application, settings=settings
        )
        return diary_entry_public(entry)

    return write.run(action)


@router.post("/{code}/phi-overrides", status_code=201, response_model=DiaryEntryPublic)
def override_interval(
    code: str,
    body: OverrideCreate,
    org: CurrentOrg,
    session: SessionDep,
    settings: SettingsDep,
    write: WriteDep,
) -> JSONResponse:
    """A regulator lets the farm's next harvest through the intervals running now."""

    def action() -> DiaryEntryPublic:
        entry = diary.record_override(
            session, org=org, farm_code=code, reason=body.reason, settings=settings
        )
        return diary_entry_public(entry)

    return write.run(action)


@router.get("/{code}/inputs", response_model=list[DiaryEntryPublic])
def list_diary(code: str, org: CurrentOrg, session: SessionDep) -> list[DiaryEntryPublic]:
    """The farm's diary, oldest first (its owner and regulators)."""
    return [diary_entry_public(e) for e in diary.entries(session, org=org, farm_code=code)]


@router.get(
    "/{code}/vietgap-diary",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "A4 PDF"}},
)
def vietgap_diary(
    code: str,
    request: Request,
    org: CurrentOrg,
    session: SessionDep,
    season: Annotated[str | None, Query(pattern=r"^(19|20)[0-9]{2}$")] = None,
) -> Response:
    """The farm's VietGAP diary for a season (its owner and regulators), as an A4 PDF."""
    farm = diary.readable_farm(session, org=org, farm_code=code)
    chosen = season or season_of(utcnow())
    language = negotiate_language(
        request.query_params.get("lang"), request.headers.get("accept-language")
    )
    content = vietgap_report.diary_pdf(session, farm=farm, season=chosen, t=translator(language))
    name = f"vietgap-{farm.code}-{chosen}.pdf"
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
