"""Circular 02/2024/TT-BKHCN: a lot's data items, and export labels refused until all are there."""

from __future__ import annotations

import io

from PIL import Image

from tests.qr.helpers import decode_qr_codes, pdf_pages
from tests.support.app import Actors, harvest_body
from tests.support.bodies import invalid
from tests.support.custody import hand_over

NOW = "2026-05-02T08:00:00+07:00"


def test_a_lot_lists_its_items_and_export_labels_wait_for_all(supply_chain: Actors) -> None:
    client, headers = supply_chain.client, supply_chain.headers
    supply_chain.post("/api/v1/lots", "htx", harvest_body(code="L-C"))
    shown = client.get("/api/v1/lots/L-C/completeness", headers=headers["htx"]).json()
    assert shown["complete"] is False
    assert shown["missing"] == [
        "image", "location_trace_code", "brand_or_serial", "shelf_life", "one_step_forward"
    ]  # fmt: skip
    refused = client.post(
        "/api/v1/lots/L-C/labels", json={"count": 1, "export": True}, headers=headers["htx"]
    )
    assert refused.status_code == 422
    assert refused.json() == invalid(
        "Lô xuất khẩu còn thiếu thông tin theo Thông tư 02/2024/TT-BKHCN: hình ảnh, "
        "mã truy vết địa điểm, nhãn hiệu hoặc số sê-ri, hạn sử dụng, công đoạn sau / an export "
        "lot lacks data items of Circular 02/2024/TT-BKHCN: image, location trace code, "
        "brand or serial, shelf life or expiry, one step forward",
        "export",
    )
    domestic = client.post("/api/v1/lots/L-C/labels", json={"count": 1}, headers=headers["htx"])
    assert domestic.status_code == 200  # labels for the home market need no more


def test_a_lot_with_every_item_prints_export_labels(supply_chain: Actors) -> None:
    client, headers = supply_chain.client, supply_chain.headers
    farm = {"code": "F-X", "name": "Vườn", "commune": "Mỹ Xương", "growing_area_code": "VN-DT-9"}
    supply_chain.post("/api/v1/farms", "htx", farm)
    supply_chain.post("/api/v1/lots", "htx", harvest_body(code="L-X", farm="F-X"))
    check = {"result": "pass", "photos": ["sha256:" + "ab" * 32]}
    supply_chain.post(
        "/api/v1/lots/L-X/events",
        "htx",
        {"type": "quality_check", "occurred_at": NOW, "data": check},
    )
    packing = {"package": "thùng 10 kg", "best_before": "2026-05-20"}
    supply_chain.post(
        "/api/v1/lots/L-X/events", "htx", {"type": "packing", "occurred_at": NOW, "data": packing}
    )
    hand_over(supply_chain.post, "L-X", "htx", "dg")
    before = client.get("/api/v1/lots/L-X/completeness", headers=headers["dg"]).json()
    assert before["missing"] == ["brand_or_serial"]  # no GTIN: serials will do
    serials = {"count": 2, "serials": True}
    assert client.post("/api/v1/lots/L-X/labels", json=serials, headers=headers["dg"]).is_success
    shown = client.get("/api/v1/lots/L-X/completeness", headers=headers["ql"]).json()
    assert shown["complete"] is True and shown["missing"] == []
    printed = client.post(
        "/api/v1/lots/L-X/labels", json={"count": 1, "export": True}, headers=headers["dg"]
    )
    assert printed.status_code == 200, printed.text
    nosy = client.get("/api/v1/lots/L-X/completeness", headers=headers["htx2"])
    assert nosy.status_code == 403


def test_export_labels_carry_harvest_and_best_before_dates_in_their_digital_link(
    supply_chain: Actors,
) -> None:
    client, headers = supply_chain.client, supply_chain.headers
    supply_chain.gs1_prefix("htx", "8930000")
    product = {"code": "xoai-xk", "name_vi": "Xoài cát Chu", "gtin": "8930000000019"}
    supply_chain.post("/api/v1/products", "htx", product)
    farm = {"code": "F-G", "name": "Vườn", "commune": "Mỹ Xương", "growing_area_code": "VN-DT-7"}
    supply_chain.post("/api/v1/farms", "htx", farm)
    supply_chain.post(
        "/api/v1/lots", "htx", harvest_body(code="L-G", farm="F-G", product="xoai-xk")
    )
    photo = {"result": "pass", "photo": "sha256:" + "cd" * 32}
    supply_chain.post(
        "/api/v1/lots/L-G/events",
        "htx",
        {"type": "quality_check", "occurred_at": NOW, "data": photo},
    )
    packing = {"package": "thùng 5 kg", "best_before": "2026-05-20"}
    supply_chain.post(
        "/api/v1/lots/L-G/events", "htx", {"type": "packing", "occurred_at": NOW, "data": packing}
    )
    hand_over(supply_chain.post, "L-G", "htx", "dg")
    printed = client.post(
        "/api/v1/lots/L-G/labels",
        json={"count": 1, "export": True, "format": "png"},
        headers=headers["dg"],
    )
    assert printed.status_code == 200, printed.text
    [uri] = decode_qr_codes(Image.open(io.BytesIO(printed.content)))
    assert uri.endswith("/01/08930000000019/10/L-G?15=260520&7007=260501")
    trilingual = client.post(
        "/api/v1/lots/L-G/labels",
        json={"count": 1, "export": True, "layout": "export-100x70"},
        headers=headers["dg"],
    )
    assert trilingual.status_code == 200, trilingual.text
    [(size_mm, page)] = pdf_pages(trilingual.content, dpi=203)
    assert [round(v) for v in size_mm] == [100, 70] and decode_qr_codes(page) == [uri]
    domestic = client.post(
        "/api/v1/lots/L-G/labels", json={"count": 1, "format": "png"}, headers=headers["dg"]
    )
    [plain] = decode_qr_codes(Image.open(io.BytesIO(domestic.content)))
    assert plain.endswith("/01/08930000000019/10/L-G")  # dates only on export labels
    assert (
        client.get(plain.split("127.0.0.1:8000")[-1] + "?15=260520&7007=260501").status_code == 200
    )
