"""The data items Circular 02/2024/TT-BKHCN expects on the national traceability portal, for one
lot, from its proven documents only.

The circular asks that a traced product reach the portal with its name and image, the name and
address of its producer, the production time, a product trace code and a location trace code,
its brand, character code or serial, and its shelf life. The portal's integration format is not
public yet, so this module makes a plain :class:`PortalRecord` and ``portal_publish`` hands it
to a :class:`~backend.services.interop.portal_publish.PortalPublisher` (a file or stdout now, a
push client later). docs/national-portal.md maps each item.

Only a lot whose verification reads ``verified`` is exported, and every value comes from the
documents that verification checked (rules v2): the lot's first document for what it states
of the lot, the event documents of the lot and then of its ancestors for its image and shelf
life. A lot recorded under
proof rules v1 has no such documents and is refused, as is a lot that is pending, tampered or
recalled. Private values (the farm's name when kept private, exact points) are never read: the
address is the commune and province.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlmodel import Session

from backend.errors import Conflict, NotFound
from backend.hashing import is_commitment
from backend.i18n.messages import message
from backend.services.verification.chain_view import ChainView
from backend.services.verification.engine import verify_lot
from backend.services.verification.proven_facts import in_stated_order, proven_lot_facts
from backend.services.verification.results import Verification
from backend.services.verification.verdicts import Verdict

#: The circular's items, in its order: key, Vietnamese name, English name.
ITEMS: tuple[tuple[str, str, str], ...] = (
    ("product_name", "Tên sản phẩm, hàng hóa", "Product name"),
    ("image", "Hình ảnh sản phẩm, hàng hóa", "Product image"),
    ("producer", "Tên đơn vị sản xuất, kinh doanh", "Producer"),
    ("address", "Địa chỉ đơn vị sản xuất, kinh doanh", "Producer's address"),
    ("production_time", "Thời gian sản xuất, kinh doanh", "Production time"),
    ("product_trace_code", "Mã truy vết sản phẩm", "Product trace code"),
    ("location_trace_code", "Mã truy vết địa điểm", "Location trace code"),
    (
        "brand_or_serial",
        "Thương hiệu, nhãn hiệu, mã ký tự hoặc số sê-ri",
        "Brand, character code or serial",
    ),
    ("shelf_life", "Thời hạn sử dụng", "Shelf life"),
)
ITEM_KEYS = tuple(key for key, _, _ in ITEMS)
#: Event data members that name a photo of the product, as the field app and API record them.
IMAGE_KEYS = ("photo", "photos", "image", "images", "photo_sha256")
#: Event data members that state the shelf life, newest event first.
SHELF_LIFE_KEYS = ("best_before", "expiry_date", "shelf_life_days")


@dataclass(frozen=True)
class PortalRecord:
    """One lot's items for the portal, each a string or None when the documents state none."""

    lot: str
    items: dict[str, str | None]
    #: The lot's public link (its label URI): where a portal user can check the proof.
    trace_url: str
    #: The verdict the export rests on (always ``verified``).
    verdict: str

    @property
    def missing(self) -> list[str]:
        return [key for key in ITEM_KEYS if self.items[key] is None]


def portal_record(session: Session, *, code: str, view: ChainView, base_url: str) -> PortalRecord:
    """The portal record of lot ``code``.

    Raises :class:`NotFound` for an unknown lot and :class:`Conflict` for one whose
    documents are not proven (not ``verified``, or recorded under proof rules v1).
    """
    verification = verify_lot(session, code=code, view=view)
    if verification is None:
        raise NotFound(message("portal.unknown_lot", lot=code), field="lot")
    if verification.verdict is not Verdict.VERIFIED:
        verdict = str(verification.verdict)
        raise Conflict(message("portal.unverified", lot=code, verdict=verdict), field="lot")
    facts = proven_lot_facts(verification)
    if facts is None:
        raise Conflict(message("portal.rules_v1", lot=code), field="lot")
    documents = _documents_by_lot(verification)
    return PortalRecord(
        lot=code,
        items=_items(code, facts, documents),
        trace_url=_trace_url(base_url, code, facts["product"]["gtin"]),
        verdict=str(verification.verdict),
    )


def _items(
    code: str, facts: Mapping[str, Any], documents: list[list[Mapping[str, Any]]]
) -> dict[str, str | None]:
    product, producer, farm = facts["product"], facts["producer"], facts["farm"] or {}
    address = ", ".join(p for p in (farm.get("commune"), farm.get("province")) if p) or None
    return {
        "product_name": product["name"],
        "image": _first_stated(documents, IMAGE_KEYS, newest_first=False),
        "producer": producer["name"],
        "address": address,
        "production_time": facts["harvested_at"],
        "product_trace_code": code,
        "location_trace_code": farm.get("growing_area_code") or None,
        "brand_or_serial": product["gtin"] or product["code"],
        "shelf_life": _first_stated(documents, SHELF_LIFE_KEYS, newest_first=True),
    }


def _documents_by_lot(verification: Verification) -> list[list[Mapping[str, Any]]]:
    """The checked documents of the lot, then of each ancestor (a split or merged lot's photo
    or best-before date is often stated on the lot it came from), each lot's in the order its
    events say they happened."""
    groups = []
    for lot_check in (verification.lot, *verification.ancestors):
        checks = in_stated_order(lot_check.events)
        groups.append([check.document for check in checks if check.document is not None])
    return groups


def _first_stated(
    groups: list[list[Mapping[str, Any]]], keys: tuple[str, ...], *, newest_first: bool
) -> str | None:
    """The first value one of ``keys`` has in the documents' data, as text: the lot's own
    documents first, then its ancestors'."""
    for documents in groups:
        ordered: Iterable[Mapping[str, Any]] = reversed(documents) if newest_first else documents
        for document in ordered:
            data = document.get("data") or {}
            for key in keys:
                value = _text(key, data.get(key))
                if value is not None:
                    return value
    return None


def _text(key: str, value: Any) -> str | None:
    if value in (None, "", [], {}) or is_commitment(value):
        return None
    if isinstance(value, list):
        return _text(key, value[0])
    if key == "photo_sha256" and isinstance(value, str):
        return f"sha256:{value}"
    if key == "shelf_life_days" and isinstance(value, int | str):
        return f"P{value}D"  # ISO 8601 duration, as the portal's date fields expect ISO 8601
    return value if isinstance(value, str) else None


def _trace_url(base_url: str, code: str, gtin: str | None) -> str:
    segment = quote(code, safe="")
    base = base_url.rstrip("/")
    return f"{base}/01/{gtin}/10/{segment}" if gtin else f"{base}/l/{segment}"
