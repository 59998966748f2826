"""A cooperative's farms: the list and the form to register one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from backend.services.catalog.farms import (
    CERTIFICATION_SCHEMES,
    DEFAULT_PROVINCE,
    create_farm,
    list_farms,
)
from backend.web.operator.context import FormPage, Operator, redirect
from backend.web.operator.deps import CooperativeDep, SessionDep, SubmissionDep
from backend.web.operator.forms import FieldReader, FormState
from backend.web.operator.routing import OperatorRoute

router = APIRouter(prefix="/app/farms", tags=["operator"], route_class=OperatorRoute)

#: Service field names (``certifications[0].number``) → form field names.
FIELD_MAP = {
    "certifications[0].scheme": "cert_scheme",
    "certifications[0].number": "cert_number",
    "certifications[0].issuer": "cert_issuer",
    "certifications[0].valid_from": "cert_valid_from",
    "certifications[0].valid_until": "cert_valid_until",
    "certifications": "cert_scheme",
}
SCHEME_OPTIONS = [(scheme, scheme) for scheme in CERTIFICATION_SCHEMES]


def _farms_page(request: Request, session: Session, operator: Operator) -> FormPage:
    return FormPage(
        request,
        "app/farms.html",
        lambda: {"farms": list_farms(session, org=operator.org), "scheme_options": SCHEME_OPTIONS},
    )


@router.get("", include_in_schema=False)
def farms(request: Request, operator: CooperativeDep, session: SessionDep) -> Response:
    form = FormState(values={"province": DEFAULT_PROVINCE})
    return _farms_page(request, session, operator).show(form)


@router.post("", include_in_schema=False)
async def add_farm(
    request: Request, operator: CooperativeDep, session: SessionDep, posted: SubmissionDep
) -> Response:
    fields = posted.fields
    code = fields.text("code", max_length=64)
    name = fields.text("name")
    commune = fields.text("commune", max_length=120)
    province = fields.text("province", required=False, max_length=120)
    lat = fields.text("lat", required=False, max_length=32)
    lon = fields.text("lon", required=False, max_length=32)
    area = fields.decimal("area_ha", required=False)
    growing_area_code = fields.text("growing_area_code", required=False, max_length=64)
    certifications = _certifications(fields)
    return posted.settle(
        lambda: create_farm(
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
        ),
        then=lambda _: redirect("/app/farms", ok="farm_created"),
        again=_farms_page(request, session, operator),
        field_map=FIELD_MAP,
    )


def _certifications(fields: FieldReader) -> list[dict[str, Any]]:
    scheme = fields.state.value("cert_scheme")
    if not scheme:
        return []
    fields.choice("cert_scheme", list(CERTIFICATION_SCHEMES))
    return [
        {
            "scheme": scheme,
            "number": fields.text("cert_number", max_length=64),
            "issuer": fields.text("cert_issuer", required=False, max_length=200),
            "valid_from": fields.text("cert_valid_from", required=False, max_length=10),
            "valid_until": fields.text("cert_valid_until", required=False, max_length=10),
        }
    ]
