"""Printing QR labels for a lot, with serial numbers recorded so a scan names one label.

The custodian of a lot prints its labels: the organisation that has the boxes in hand. Each
label's link is built from the stored lot and product (GS1 Digital Link with the product's
GTIN, else the ``/l/`` form), so the code on the box and the record cannot disagree. Serials
are allocated in the same transaction as the print, continuing after the highest serial the lot
already has, and recorded in ``LabelSerial``: a serial the database never issued is a sign of a
copied or invented label (see ``services.scans``). A recalled lot gets no new labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.config import Settings
from backend.errors import InvalidInput
from backend.i18n.messages import message
from backend.models import Farm, LabelSerial, Lot, Organisation, Product
from backend.services.accounts import permissions
from backend.services.compliance import circular02, phi
from backend.services.ledger.custody import require_not_recalled
from backend.services.ledger.locking import lock_lot
from backend.timeutil import in_vietnam
from qr import LAYOUTS, LabelData, LabelError, RenderedFile, build_uri, render_labels
from qr.errors import (
    DataTooLong,
    FontMissing,
    NoLabels,
    TooManyLabels,
    UnknownFormat,
    UnknownLayout,
    UnsupportedDpi,
    UnsupportedErrorCorrection,
    UnsupportedFormat,
)
from qr.render import FORMATS

#: Labels one request may print (a pallet run); larger runs are several files.
MAX_LABELS_PER_REQUEST = 2000
#: Serials are decimal, zero-padded to this width (GS1 AI 21 allows up to 20 characters).
SERIAL_WIDTH = 6

#: Which request field a label-package error is about.
_ERROR_FIELDS: dict[type[LabelError], str] = {
    UnknownLayout: "layout",
    UnknownFormat: "format",
    UnsupportedFormat: "format",
    UnsupportedDpi: "dpi",
    UnsupportedErrorCorrection: "error_correction",
    NoLabels: "count",
    TooManyLabels: "count",
    DataTooLong: "layout",
    FontMissing: "layout",
}


@dataclass(frozen=True)
class LabelRequest:
    """What to print: how many, on which layout, in which file format."""

    count: int
    layout: str = "thermal-50x30"
    fmt: str = "pdf"
    serials: bool = False
    dpi: int | None = None
    error_correction: str = "M"
    #: Labels for export: the lot must carry every data item of Circular 02/2024/TT-BKHCN.
    export: bool = False


def validate_request(request: LabelRequest) -> None:
    """Refuse impossible requests before any serial is allocated."""
    if not 1 <= request.count <= MAX_LABELS_PER_REQUEST:
        raise InvalidInput(message("labels.count", most=MAX_LABELS_PER_REQUEST), field="count")
    if request.layout not in LAYOUTS:
        raise InvalidInput(message("labels.layout", tail=", ".join(LAYOUTS)), field="layout")
    if request.fmt not in FORMATS:
        raise InvalidInput(message("labels.format", tail=", ".join(FORMATS)), field="format")


def allocate_serials(session: Session, *, lot: Lot, org: Organisation, count: int) -> list[str]:
    """``count`` new serials for ``lot``, recorded; the caller holds the lot's row lock."""
    issued = session.exec(select(LabelSerial.serial).where(LabelSerial.lot_id == lot.id)).all()
    highest = max((int(s) for s in issued if s.isdigit()), default=0)
    serials = [str(n).zfill(SERIAL_WIDTH) for n in range(highest + 1, highest + count + 1)]
    assert lot.id is not None
    session.add_all(
        LabelSerial(lot_id=lot.id, serial=serial, printed_by_org_id=org.id) for serial in serials
    )
    session.flush()
    return serials


def label_data(
    *,
    lot: Lot,
    product: Product,
    farm: Farm | None,
    serial: str | None,
    base_url: str,
    best_before: date | None = None,
    dated: bool = False,
) -> LabelData:
    """What one label of ``lot`` says (its URI built from the stored rows); ``dated`` labels
    (export) carry the harvest and best-before dates in their Digital Link (AI 7007, AI 15)."""
    harvested = in_vietnam(lot.harvested_at).date() if lot.harvested_at else None
    return LabelData(
        uri=build_uri(
            base_url,
            lot=lot.code,
            gtin=product.gtin,
            serial=serial,
            harvest_date=harvested if dated else None,
            best_before=best_before if dated else None,
        ),
        product_name_vi=product.name_vi,
        product_name_en=product.name_en,
        lot_code=lot.code,
        harvest_date=in_vietnam(lot.harvested_at).date() if lot.harvested_at else None,
        commune=farm.commune if farm else None,
        province=farm.province if farm else "Đồng Tháp",
        serial=serial,
        best_before=best_before,
    )


def print_labels(
    session: Session,
    *,
    lot_code: str,
    org: Organisation,
    request: LabelRequest,
    settings: Settings,
) -> RenderedFile:
    """Render labels for a lot ``org`` holds; serials (if asked) are recorded in the session."""
    validate_request(request)
    lot = lock_lot(session, lot_code)
    permissions.require_custodian(org, lot)
    require_not_recalled(lot)
    phi.require_released(session, lot=lot, action="labels")
    if request.export:
        circular02.require_complete(session, lot=lot)
    product = session.get(Product, lot.product_id)
    assert product is not None  # foreign key
    farm = session.get(Farm, lot.farm_id) if lot.farm_id is not None else None
    serials: list[str | None] = (
        list(allocate_serials(session, lot=lot, org=org, count=request.count))
        if request.serials
        else [None] * request.count
    )
    best_before = circular02.best_before(session, lot=lot)
    labels = [
        label_data(
            lot=lot,
            product=product,
            farm=farm,
            serial=serial,
            base_url=settings.public_base_url,
            best_before=best_before,
            dated=request.export,
        )
        for serial in serials
    ]
    try:
        return render_labels(
            labels,
            layout=request.layout,
            fmt=request.fmt,
            dpi=request.dpi,
            error_correction_level=request.error_correction,
        )
    except LabelError as exc:
        field = next((f for cls, f in _ERROR_FIELDS.items() if isinstance(exc, cls)), None)
        raise InvalidInput(message("labels.print_failed", tail=exc), field=field) from exc


def serial_count(session: Session, *, lot: Lot) -> int:
    """How many serialised labels were printed for ``lot``."""
    query = select(func.count(col(LabelSerial.id))).where(LabelSerial.lot_id == lot.id)
    return int(session.exec(query).one())
