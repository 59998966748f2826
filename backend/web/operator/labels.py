"""Printing labels from the operator app: choose layout, format and count, get the file."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from backend.deps import SessionDep, SettingsDep
from backend.errors import SenTraceError
from backend.i18n import translator
from backend.models import Lot, Product
from backend.services.labels.printing import (
    MAX_LABELS_PER_REQUEST,
    LabelRequest,
    print_labels,
    serial_count,
)
from backend.services.transactions import commit
from backend.web.operator.actions import held_lot
from backend.web.operator.context import OperatorDep, page
from backend.web.operator.forms import (
    FieldReader,
    FormState,
    apply_service_error,
    read_form,
    shows_on_form,
)
from backend.web.operator.routing import OperatorRoute
from backend.web.operator.views import product_name

router = APIRouter(prefix="/app/lots", tags=["operator"], route_class=OperatorRoute)

LAYOUT_CHOICES = ("a4", "thermal-50x30", "thermal-100x50")
FORMAT_CHOICES = ("pdf", "png", "zpl")


def _labels_page(
    request: Request, session: Session, lot: Lot, form: FormState, status: int = 200
) -> Response:
    t = translator(request.state.lang)
    product = session.get(Product, lot.product_id)
    return page(
        request,
        "app/labels.html",
        status_code=status,
        lot=lot,
        product_label=product_name(product, request.state.lang),
        gtin=product.gtin if product else None,
        printed_serials=serial_count(session, lot=lot),
        layouts=[(name, t(f"app.labels.layout.{name}")) for name in LAYOUT_CHOICES],
        formats=[(name, t(f"app.labels.format.{name}")) for name in FORMAT_CHOICES],
        max_count=MAX_LABELS_PER_REQUEST,
        form=form,
    )


@router.get("/{code}/labels", include_in_schema=False)
def labels_form(
    request: Request, code: str, operator: OperatorDep, session: SessionDep
) -> Response:
    lot = held_lot(session, operator, code)
    form = FormState(values={"layout": "a4", "format": "pdf", "count": "24", "serials": "on"})
    return _labels_page(request, session, lot, form)


@router.post("/{code}/labels", include_in_schema=False)
async def print_run(
    request: Request, code: str, operator: OperatorDep, session: SessionDep, settings: SettingsDep
) -> Response:
    lot = held_lot(session, operator, code)
    form = await read_form(request)
    lang: str = request.state.lang
    fields = FieldReader(form, translator(lang))
    layout = fields.choice("layout", list(LAYOUT_CHOICES))
    fmt = fields.choice("format", list(FORMAT_CHOICES))
    count = fields.integer("count", minimum=1)
    if count is not None and count > MAX_LABELS_PER_REQUEST:
        form.fail("count", fields.t("app.errors.maximum", maximum=MAX_LABELS_PER_REQUEST))
    if not form.ok:
        return _labels_page(request, session, lot, form, status=422)
    assert layout and fmt and count
    wanted = LabelRequest(count=count, layout=layout, fmt=fmt, serials="serials" in form.values)
    try:
        rendered = print_labels(
            session, lot_code=lot.code, org=operator.org, request=wanted, settings=settings
        )
        commit(session)
    except SenTraceError as exc:
        session.rollback()
        if not shows_on_form(exc):
            raise
        apply_service_error(form, exc, lang=lang)
        return _labels_page(request, session, lot, form, status=422)
    return Response(
        rendered.content,
        media_type=rendered.media_type,
        headers={"Content-Disposition": f'attachment; filename="{rendered.filename}"'},
    )
