"""A cooperative's farms: the list and the form to register one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from backend.deps import SessionDep
from backend.errors import SenTraceError
from backend.i18n import translator
from backend.models import OrgRole
from backend.services.catalog.farms import (
    CERTIFICATION_SCHEMES,
    DEFAULT_PROVINCE,
    create_farm,
    list_farms,
)
from backend.services.transactions import commit
from backend.web.operator.context import Operator, OperatorDep, page, redirect, require_role
from backend.web.operator.forms import (
    FieldReader,
    FormState,
    apply_service_error,
    read_form,
    shows_on_form,
)
from backend.web.operator.routing import OperatorRoute

router = APIRouter(prefix="/app/farms", tags=["operator"], route_class=OperatorRoute)

#: Service field names (``certifications[0].number``) → form field names.
FIELD_MAP = {
    "certifications[0].scheme": "cert_scheme",
    "certifications[0].number": "cert_number",
    "certifications[0].valid_from": "cert_valid_from",
    "certifications[0].valid_until": "cert_valid_until",
    "certifications": "cert_scheme",
}


def _farms_page(
    request: Request, session: SessionDep, operator: Operator, form: FormState, status: int = 200
) -> Response:
    return page(
        request,
        "app/farms.html",
        status_code=status,
        farms=list_farms(session, org=operator.org),
        form=form,
        scheme_options=[(scheme, scheme) for scheme in CERTIFICATION_SCHEMES],
    )


@router.get("", include_in_schema=False)
def farms(request: Request, operator: OperatorDep, session: SessionDep) -> Response:
    require_role(operator, OrgRole.COOPERATIVE)
    return _farms_page(request, session, operator, FormState(values={"province": DEFAULT_PROVINCE}))


@router.post("", include_in_schema=False)
async def add_farm(request: Request, operator: OperatorDep, session: SessionDep) -> Response:
    require_role(operator, OrgRole.COOPERATIVE)
    form = await read_form(request)
    lang: str = request.state.lang
    fields = FieldReader(form, translator(lang))
    code = fields.text("code", max_length=64)
    name = fields.text("name")
    commune = fields.text("commune", max_length=120)
    province = fields.text("province", required=False, max_length=120)
    lat = fields.text("lat", required=False, max_length=32)
    lon = fields.text("lon", required=False, max_length=32)
    area = fields.decimal("area_ha", required=False)
    growing_area_code = fields.text("growing_area_code", required=False, max_length=64)
    certifications = _certifications(fields)
    if not form.ok:
        return _farms_page(request, session, operator, form, status=422)
    try:
        create_farm(
            session,
            org=operator.org,
            code=code or "",
            name=name or "",
            commune=commune or "",
            province=province,
            lat=lat,
            lon=lon,
            area_ha=area,
            growing_area_code=growing_area_code,
            certifications=certifications,
        )
        commit(session)
    except SenTraceError as exc:
        session.rollback()
        if not shows_on_form(exc):
            raise
        apply_service_error(form, exc, lang=lang, field_map=FIELD_MAP)
        return _farms_page(request, session, operator, form, status=422)
    return redirect("/app/farms", ok="farm_created")


def _certifications(fields: FieldReader) -> list[dict[str, Any]]:
    scheme = fields.state.value("cert_scheme")
    if not scheme:
        return []
    fields.choice("cert_scheme", list(CERTIFICATION_SCHEMES))
    return [
        {
            "scheme": scheme,
            "number": fields.text("cert_number", max_length=64),
            "valid_from": fields.text("cert_valid_from", required=False, max_length=10),
            "valid_until": fields.text("cert_valid_until", required=False, max_length=10),
        }
    ]
