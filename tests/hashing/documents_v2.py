"""Documents v2 to test with: a lot's first event with full lot facts, or a later event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from backend.hashing import canonical_document_v2, commit, farm_facts, keccak, lot_facts

WHEN = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
SALT = bytes(range(32))
PREV = keccak(b"the previous event")


def facts(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "product_code": "xoai-cat-chu",
        "product_name": "Xoài cát Chu",
        "product_name_en": "Cat Chu mango",
        "gtin": "08930000000012",
        "producer_slug": "htx-my-xuong",
        "producer_name": "Hợp tác xã Mỹ Xương",
        "farm": farm_facts(
            code="MX-01",
            name=commit("Vườn ông Tư", SALT),
            commune="Mỹ Xương",
            province="Đồng Tháp",
            growing_area_code="VN-DT-0123",
            certifications=[{"scheme": "VietGAP", "number": "VG-2026-0117"}],
            point=commit({"lat": "10.4521", "lon": "105.6331"}, SALT),
        ),
        "quantity": "1250.5",
        "unit": "kg",
        "harvested_at": WHEN,
    }
    fields.update(overrides)
    return lot_facts(**fields)


def document(**overrides: Any) -> dict[str, Any]:
    """A lot's first event by default; pass ``seq`` and ``prev`` (and no facts) for later ones."""
    fields: dict[str, Any] = {
        "event_id": "2f1c8a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b",
        "lot_code": "DT-XOAI-2026-0001",
        "seq": 1,
        "prev": None,
        "event_type": "harvest",
        "occurred_at": WHEN,
        "org_slug": "htx-my-xuong",
        "org_name": "Hợp tác xã Mỹ Xương",
        "location": {"commune": "Mỹ Xương"},
        "data": {"grade": "Loại 1", "crates": 50},
        "lot_facts": facts(),
    }
    if overrides.get("seq", 1) != 1:
        fields["lot_facts"] = None
        fields["prev"] = PREV
    fields.update(overrides)
    return canonical_document_v2(**fields)
