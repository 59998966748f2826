"""Quantity is conserved through processing: declared in = out + loss, never more than is left,
and the loss is gone from what may still be split; the page shows kg in → kg out."""

from __future__ import annotations

from typing import Any

from tests.support.app import Actors, harvest_body
from tests.support.bodies import invalid

REQUIRED = "Trường này là bắt buộc / this field is required"


def processing(**data: Any) -> dict[str, Any]:
    return {"type": "processing", "occurred_at": "2026-05-02T08:00:00+07:00", "data": data}


def test_processing_declares_in_out_and_loss_that_add_up(supply_chain: Actors) -> None:
    supply_chain.post("/api/v1/lots", "htx", harvest_body(code="L-P", quantity="1000"))
    post = supply_chain.client.post
    headers = supply_chain.headers["htx"]
    wrong = post(
        "/api/v1/lots/L-P/events",
        json=processing(quantity_in="1000", quantity_out="850", loss="100"),
        headers=headers,
    )
    assert wrong.status_code == 422 and wrong.json() == invalid(
        "Số lượng vào phải bằng số lượng ra cộng hao hụt / "
        "quantity in must equal quantity out plus the loss",
        "data.loss",
    )
    partial = post("/api/v1/lots/L-P/events", json=processing(quantity_in="10"), headers=headers)
    assert partial.status_code == 422 and partial.json() == invalid(REQUIRED, "data.quantity_out")
    too_much = post(
        "/api/v1/lots/L-P/events",
        json=processing(quantity_in="1200", quantity_out="1000", loss="200"),
        headers=headers,
    )
    assert too_much.status_code == 422 and too_much.json() == invalid(
        "Nhiều hơn phần còn lại của lô (1000) / more than what is left of the lot (1000)",
        "data.quantity_in",
    )
    plain = post("/api/v1/lots/L-P/events", json=processing(step="rửa"), headers=headers)
    assert plain.status_code == 201  # a step that declares no quantities stays free
    done = post(
        "/api/v1/lots/L-P/events",
        json=processing(quantity_in="1000", quantity_out="850", loss="150"),
        headers=headers,
    )
    assert done.status_code == 201, done.text
    over = post(
        "/api/v1/lots/L-P/split",
        json={"children": [{"code": "L-P1", "quantity": "900"}]},
        headers=headers,
    )
    assert over.status_code == 422  # only 850 kg are left after the declared loss
    split = supply_chain.post(
        "/api/v1/lots/L-P/split", "htx", {"children": [{"code": "L-P1", "quantity": "850"}]}
    )
    assert split["children"][0]["code"] == "L-P1"
    page = supply_chain.client.get("/l/L-P1", params={"lang": "vi"}).text
    assert "Chế biến: 1000 kg vào → 850 kg ra (hao hụt khai báo 150 kg)" in page
