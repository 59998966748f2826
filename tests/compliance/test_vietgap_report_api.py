"""The VietGAP diary of a farm for a season: an A4 PDF with inputs, harvests and checks."""

from __future__ import annotations

import pypdfium2

from tests.compliance.test_season_diary_api import spray
from tests.support.app import Actors, harvest_body


def _text(content: bytes) -> str:
    """The PDF's text with every run of white space as one space (table cells wrap)."""
    document = pypdfium2.PdfDocument(content)
    try:
        text = " ".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
    return " ".join(text.split())


def test_the_diary_pdf_lists_inputs_harvests_and_checks_with_their_proof(
    supply_chain: Actors,
) -> None:
    supply_chain.post("/api/v1/farms/F-01/inputs", "htx", spray())
    supply_chain.post("/api/v1/lots", "htx", harvest_body(code="L-V"))
    check = {"result": "pass", "method": "Cảm quan, độ Brix"}
    supply_chain.post(
        "/api/v1/lots/L-V/events",
        "htx",
        {"type": "quality_check", "occurred_at": "2026-05-01T10:00:00+07:00", "data": check},
    )
    response = supply_chain.client.get(
        "/api/v1/farms/F-01/vietgap-diary",
        params={"season": "2026", "lang": "vi"},
        headers=supply_chain.headers["ql"],
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    document = pypdfium2.PdfDocument(response.content)
    width, height = document[0].get_size()
    document.close()
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = _text(response.content)
    assert "Nhật ký sản xuất VietGAP — mùa 2026" in text
    assert "Anvil 5SC (Hexaconazole)" in text and "VN-1234/BVTV / B2604-17" in text
    assert "đã ký, chứng minh trong lô L-V" in text
    assert "L-V" in text and "1000 kg" in text
    assert "Đạt — Cảm quan, độ Brix" in text and "chờ neo" in text
    assert "Nguyễn Văn Tư" not in text  # the operator's name stays a commitment


def test_only_the_owner_and_regulators_read_the_diary(supply_chain: Actors) -> None:
    get = supply_chain.client.get
    other = get("/api/v1/farms/F-01/vietgap-diary", headers=supply_chain.headers["htx2"])
    assert other.status_code == 403
    bad = get(
        "/api/v1/farms/F-01/vietgap-diary",
        params={"season": "26"},
        headers=supply_chain.headers["htx"],
    )
    assert bad.status_code == 422 and bad.json()["field"] == "query.season"
    own = get("/api/v1/farms/F-01/vietgap-diary", headers=supply_chain.headers["htx"])
    assert own.status_code == 200 and own.content.startswith(b"%PDF")
