"""What one printed label says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

DEFAULT_PROVINCE = "Đồng Tháp"


@dataclass(frozen=True, kw_only=True)
class LabelData:
    """The content of one label; the backend fills it from the lot, product and farm rows.

    ``uri`` is the finished link (see :func:`qr.uri.build_uri`): the label package prints what
    it is given and never rebuilds links, so the QR code and the database cannot disagree.
    Frozen and hashable so identical labels (a run without serials) are drawn once.
    """

    uri: str
    product_name_vi: str
    product_name_en: str | None = None
    lot_code: str
    harvest_date: date | None = None
    commune: str | None = None
    province: str = DEFAULT_PROVINCE
    serial: str | None = None
    #: Printed by the trilingual (export) layout when known.
    best_before: date | None = None

    def __post_init__(self) -> None:
        if not self.uri:
            raise ValueError("LabelData.uri must not be empty")
        if not self.product_name_vi.strip():
            raise ValueError("LabelData.product_name_vi must not be empty")
        if not self.lot_code:
            raise ValueError("LabelData.lot_code must not be empty")
