"""Lots: the list of what an organisation holds or handled, and a cooperative's new harvest lot."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import ColumnElement
from sqlmodel import Session, col, or_, select

from backend.models import Farm, Lot, Product
from backend.services.catalog.farms import list_farms
from backend.services.catalog.products import list_products
from backend.services.ledger.lots import create_harvest_lot
from backend.timeutil import utcnow
from backend.web.operator.access import visible_lots
from backend.web.operator.context import FormPage, Operator, page, redirect
from backend.web.operator.deps import (
    CooperativeDep,
    LangDep,
    OperatorDep,
    SessionDep,
    SettingsDep,
    SubmissionDep,
)
from backend.web.operator.forms import FormState, datetime_local_value
from backend.web.operator.routing import OperatorRoute
from backend.web.operator.views import lot_rows, product_name

router = APIRouter(prefix="/app/lots", tags=["operator"], route_class=OperatorRoute)

LIST_LIMIT = 200
UNITS = ("kg", "tấn", "thùng", "bao", "hộp")
UNIT_OPTIONS = [(unit, unit) for unit in UNITS]
#: Service field names → harvest form field names.
HARVEST_FIELDS = {"harvested_at": "harvested_at", "occurred_at": "harvested_at"}


def _search_condition(query: str) -> ColumnElement[bool]:
    pattern = f"%{query}%"
    return or_(
        col(Lot.code).ilike(pattern),
        col(Lot.product_id).in_(
            select(Product.id).where(
                or_(col(Product.name_vi).ilike(pattern), col(Product.name_en).ilike(pattern))
            )
        ),
        col(Lot.farm_id).in_(
            select(Farm.id).where(
                or_(col(Farm.commune).ilike(pattern), col(Farm.name).ilike(pattern))
            )
        ),
    )


def find_lots(session: Session, *, operator: Operator, query: str, held: bool) -> list[Lot]:
    """Lots the operator may see, newest first; ``held`` keeps those in its custody."""
    statement = select(Lot).where(visible_lots(operator.org))
    if held:
        statement = statement.where(col(Lot.custodian_org_id) == operator.org_id)
    if query:
        statement = statement.where(_search_condition(query))
    statement = statement.order_by(col(Lot.created_at).desc(), col(Lot.id).desc())
    return list(session.exec(statement.limit(LIST_LIMIT)))


@router.get("", include_in_schema=False)
def lots(request: Request, operator: OperatorDep, session: SessionDep, lang: LangDep) -> Response:
    query = request.query_params.get("q", "").strip()[:64]
    held = find_lots(session, operator=operator, query=query, held=True)
    held_codes = {lot.code for lot in held}
    seen = [
        lot
        for lot in find_lots(session, operator=operator, query=query, held=False)
        if lot.code not in held_codes
    ]
    return page(
        request,
        "app/lots.html",
        query=query,
        held=lot_rows(session, held, lang=lang, my_org_id=operator.org_id),
        others=lot_rows(session, seen, lang=lang, my_org_id=operator.org_id),
    )


def _harvest_page(request: Request, session: Session, operator: Operator, lang: str) -> FormPage:
    def choices() -> dict[str, object]:
        return {
            "products": [(p.code, product_name(p, lang)) for p in list_products(session)],
            "farms": [
                (f.code, f"{f.name} — {f.commune}") for f in list_farms(session, org=operator.org)
            ],
            "units": UNIT_OPTIONS,
        }

    return FormPage(request, "app/lot_new.html", choices)


@router.get("/new", include_in_schema=False)
def new_lot(
    request: Request, operator: CooperativeDep, session: SessionDep, lang: LangDep
) -> Response:
    form = FormState(values={"unit": "kg", "harvested_at": datetime_local_value(utcnow())})
    return _harvest_page(request, session, operator, lang).show(form)


@router.post("/new", include_in_schema=False)
async def create_lot(
    request: Request,
    operator: CooperativeDep,
    session: SessionDep,
    settings: SettingsDep,
    posted: SubmissionDep,
) -> Response:
    fields = posted.fields
    product = fields.text("product", max_length=64)
    farm = fields.text("farm", max_length=64)
    quantity = fields.decimal("quantity")
    unit = fields.choice("unit", list(UNITS))
    harvested_at = fields.past_moment("harvested_at")
    code = fields.text("code", required=False, max_length=20)

    def harvest() -> Lot:
        assert product and farm and quantity and unit and harvested_at  # the form was valid
        lot, _event = create_harvest_lot(
            session,
            org=operator.org,
            product_code=product,
            farm_code=farm,
            quantity=quantity,
            unit=unit,
            harvested_at=harvested_at,
            code=code,
            settings=settings,
        )
        return lot

    return posted.settle(
        harvest,
        then=lambda lot: redirect(f"/app/lots/{lot.code}", ok="lot_created"),
        again=_harvest_page(request, session, operator, posted.lang),
        field_map=HARVEST_FIELDS,
    )
