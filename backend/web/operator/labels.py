"""Printing labels from the operator app: choose layout, format and count, get the file."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from backend.i18n import translator
from backend.models import Lot, Product
from backend.services.labels.printing import (
    MAX_LABELS_PER_REQUEST,
    LabelRequest,
    print_labels,
    serial_count,
)
from backend.web.operator.context import FormPage
from backend.web.operator.deps import (
    HeldLotDep,
    LangDep,
    OperatorDep,
    SessionDep,
    SettingsDep,
    SubmissionDep,
)
from backend.web.operator.forms import FormState
from backend.web.operator.routing import OperatorRoute
from backend.web.operator.views import product_name
from qr import RenderedFile

router = APIRouter(prefix="/app/lots", tags=["operator"], route_class=OperatorRoute)

LAYOUT_CHOICES = ("a4", "thermal-50x30", "thermal-100x50", "export-100x70")
FORMAT_CHOICES = ("pdf", "png", "zpl")


def _labels_page(request: Request, session: Session, lot: Lot, lang: str) -> FormPage:
    t = translator(lang)

    def facts() -> dict[str, object]:
        product = session.get(Product, lot.product_id)
        return {
            "lot": lot,
            "product_label": product_name(product, lang),
            "gtin": product.gtin if product else None,
            "printed_serials": serial_count(session, lot=lot),
            "layouts": [(name, t(f"app.labels.layout.{name}")) for name in LAYOUT_CHOICES],
            "formats": [(name, t(f"app.labels.format.{name}")) for name in FORMAT_CHOICES],
            "max_count": MAX_LABELS_PER_REQUEST,
        }

    return FormPage(request, "app/labels.html", facts)


@router.get("/{code}/labels", include_in_schema=False)
def labels_form(request: Request, lot: HeldLotDep, session: SessionDep, lang: LangDep) -> Response:
    form = FormState(values={"layout": "a4", "format": "pdf", "count": "24", "serials": "on"})
    return _labels_page(request, session, lot, lang).show(form)


def _download(rendered: RenderedFile) -> Response:
    return Response(
        rendered.content,
        media_type=rendered.media_type,
        headers={"Content-Disposition": f'attachment; filename="{rendered.filename}"'},
    )


@router.post("/{code}/labels", include_in_schema=False)
async def print_run(
    request: Request,
    lot: HeldLotDep,
    operator: OperatorDep,
    session: SessionDep,
    settings: SettingsDep,
    posted: SubmissionDep,
) -> Response:
    fields = posted.fields
    layout = fields.choice("layout", list(LAYOUT_CHOICES))
    fmt = fields.choice("format", list(FORMAT_CHOICES))
    count = fields.integer("count", minimum=1)
    if count is not None and count > MAX_LABELS_PER_REQUEST:
        fields.state.fail("count", fields.t("app.errors.maximum", maximum=MAX_LABELS_PER_REQUEST))

    def render() -> RenderedFile:
        assert layout and fmt and count  # the form was valid
        values = fields.state.values
        wanted = LabelRequest(
            count=count,
            layout=layout,
            fmt=fmt,
            serials="serials" in values,
            export="export" in values,
        )
        return print_labels(
            session, lot_code=lot.code, org=operator.org, request=wanted, settings=settings
        )

    return posted.settle(
        render, then=_download, again=_labels_page(request, session, lot, posted.lang)
    )
