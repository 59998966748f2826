"""Transfer, split, merge and recall over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.app import ADMIN, Actors, harvest_body
from tests.support.bodies import (
    A_HASH,
    A_TIMESTAMP,
    A_UUID,
    CODE_RULE,
    NOT_CUSTODIAN,
    POSITIVE,
    UNKNOWN_LOT,
    WRONG_ROLE,
    error,
    invalid,
)
from tests.support.custody import hand_over

LOT = "XOAI-T01"
DG = {"slug": "dg", "name": "Đóng gói Sa Đéc", "role": "packer"}
REPEATED = "Mã bị lặp lại trong yêu cầu / code repeated in the request"
RECALLED = "Lô đã bị thu hồi / lot has been recalled"


@pytest.fixture
def lot(supply_chain: Actors) -> Actors:
    supply_chain.post("/api/v1/lots", "htx", harvest_body(code=LOT))
    return supply_chain


@pytest.fixture
def packed(lot: Actors) -> Actors:
    """The lot transferred to the packer ``dg``, which received it."""
    hand_over(lot.post, LOT, "htx", "dg")
    return lot


def call(actors: Actors, path: str, who: str, body: Any) -> Any:
    return actors.client.post(path, json=body, headers=actors.headers[who])


def lot_record(actors: Actors, code: str) -> dict[str, Any]:
    record: dict[str, Any] = actors.client.get(f"/api/v1/lots/{code}", headers=ADMIN).json()
    return record


def note(text: str = "x") -> dict[str, Any]:
    return {"type": "note", "occurred_at": "2026-05-02T08:00:00Z", "data": {"text": text}}


HTX = {"slug": "htx", "name": "HTX Mỹ Xương", "role": "cooperative"}


def test_a_transfer_sends_the_lot_and_the_sender_keeps_it_until_received(lot: Actors) -> None:
    response = call(lot, f"/api/v1/lots/{LOT}/transfer", "htx", {"to": "dg", "note": "Xe 66C"})
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "code": LOT,
        "custodian": HTX,
        "in_transit": True,
        "shipment": {
            "id": A_UUID,
            "status": "open",
            "sender": HTX,
            "receiver": DG,
            "sent_at": A_TIMESTAMP,
            "cancellable_from": A_TIMESTAMP,
            "reason": None,
        },
        "event": {"id": A_UUID, "event_hash": A_HASH, "status": "pending"},
    }
    transfer = lot_record(lot, LOT)["events"][-1]
    assert transfer["type"] == "transfer"
    assert transfer["org"] == "htx"
    assert transfer["data"] == {
        "from": {"org": "htx", "name": "HTX Mỹ Xương"},
        "to": {"org": "dg", "name": "Đóng gói Sa Đéc"},
        "shipment": body["shipment"]["id"],
        "note": "Xe 66C",
    }
    assert lot_record(lot, LOT)["custodian"] == HTX


def test_after_receipt_the_receiver_writes_and_the_sender_may_not(packed: Actors) -> None:
    assert lot_record(packed, LOT)["custodian"] == DG
    assert call(packed, f"/api/v1/lots/{LOT}/events", "dg", note()).status_code == 201
    refused = call(packed, f"/api/v1/lots/{LOT}/events", "htx", note())
    assert refused.status_code == 403
    assert refused.json() == error(NOT_CUSTODIAN, "permission_denied")
    again = call(packed, f"/api/v1/lots/{LOT}/transfer", "htx", {"to": "htx2"})
    assert again.status_code == 403
    assert again.json() == error(NOT_CUSTODIAN, "permission_denied")


@pytest.mark.parametrize(
    ("to", "detail"),
    [
        ("nobody", "Không tìm thấy tổ chức nhận / receiving organisation not found"),
        ("htx", "Không thể chuyển cho chính mình / cannot transfer to yourself"),
        ("admin", "Không thể chuyển cho tổ chức quản trị / cannot transfer to the admin"),
    ],
)
def test_a_transfer_needs_another_real_receiver(lot: Actors, to: str, detail: str) -> None:
    lot.client.get("/api/v1/orgs/me", headers=ADMIN)  # the admin organisation exists
    response = call(lot, f"/api/v1/lots/{LOT}/transfer", "htx", {"to": to})
    assert response.status_code == 422
    assert response.json() == invalid(detail, "to")


def test_transfer_of_an_unknown_lot_is_404(lot: Actors) -> None:
    response = call(lot, "/api/v1/lots/NOPE/transfer", "htx", {"to": "dg"})
    assert response.status_code == 404
    assert response.json() == error(UNKNOWN_LOT, "not_found")


def test_a_split_makes_children_that_inherit_the_parent(packed: Actors) -> None:
    body = {"children": [{"code": "XOAI-T01-A", "quantity": "400"}, {"quantity": 250.5}]}
    response = call(packed, f"/api/v1/lots/{LOT}/split", "dg", body)
    assert response.status_code == 201
    generated = response.json()["children"][1]["code"]
    assert response.json() == {
        "children": [
            {"code": "XOAI-T01-A", "quantity": "400"},
            {"code": generated, "quantity": "250.5"},
        ]
    }
    assert generated.startswith("DT-XOAI-") and len(generated) == 19
    parent = lot_record(packed, LOT)
    assert parent["remaining_quantity"] == "349.5"
    assert parent["children"] == [
        {"code": "XOAI-T01-A", "kind": "split", "quantity": "400"},
        {"code": generated, "kind": "split", "quantity": "250.5"},
    ]
    assert parent["events"][-1]["type"] == "split"
    assert parent["events"][-1]["data"] == {
        "children": [
            {"code": "XOAI-T01-A", "quantity": "400"},
            {"code": generated, "quantity": "250.5"},
        ],
        "remaining": "349.5",
    }
    child = lot_record(packed, "XOAI-T01-A")
    assert {k: child[k] for k in ("quantity", "unit", "harvested_at", "custodian", "parents")} == {
        "quantity": "400",
        "unit": "kg",
        "harvested_at": "2026-04-30T23:30:00Z",
        "custodian": DG,
        "parents": [{"code": LOT, "kind": "split", "quantity": "400"}],
    }
    assert child["product"]["code"] == "xoai"
    assert child["farm"]["code"] == "F-01"
    assert [(e["type"], e["data"]) for e in child["events"]] == [
        ("split", {"parent": LOT, "quantity": "400"})
    ]


def test_children_may_not_together_exceed_what_is_left(packed: Actors) -> None:
    call(packed, f"/api/v1/lots/{LOT}/split", "dg", {"children": [{"quantity": "600"}]})
    response = call(
        packed,
        f"/api/v1/lots/{LOT}/split",
        "dg",
        {"children": [{"quantity": 300}, {"quantity": 101}]},
    )
    assert response.status_code == 422
    assert response.json() == invalid(
        "Tổng số lượng vượt quá phần còn lại của lô / children together exceed what is left (400)",
        "children",
    )
    assert lot_record(packed, LOT)["remaining_quantity"] == "400"
    exact = call(packed, f"/api/v1/lots/{LOT}/split", "dg", {"children": [{"quantity": "400"}]})
    assert exact.status_code == 201
    assert lot_record(packed, LOT)["remaining_quantity"] == "0"


@pytest.mark.parametrize(
    ("children", "status", "expected"),
    [
        ([], 422, invalid("Cần từ 1 đến 100 mục / needs 1 to 100 items", "children")),
        ([{"quantity": 0}], 422, invalid(POSITIVE, "children[0].quantity")),
        ([{"code": "A B", "quantity": 1}], 422,
         invalid(CODE_RULE.format(n=20), "children[0].code")),
        ([{"code": "C-1", "quantity": 1}, {"code": "C-1", "quantity": 1}], 422,
         invalid("Mã bị lặp lại trong yêu cầu / code repeated in the request",
                 "children[1].code")),
        ([{"code": LOT, "quantity": 1}], 409,
         error("Mã lô đã tồn tại / lot code already exists", "conflict", "children[0].code")),
    ],
)  # fmt: skip
def test_split_children_are_validated(
    packed: Actors, children: list[dict[str, Any]], status: int, expected: dict[str, Any]
) -> None:
    response = call(packed, f"/api/v1/lots/{LOT}/split", "dg", {"children": children})
    assert response.status_code == status
    assert response.json() == expected


def test_only_the_custodian_splits(packed: Actors) -> None:
    response = call(packed, f"/api/v1/lots/{LOT}/split", "htx", {"children": [{"quantity": 1}]})
    assert response.status_code == 403
    assert response.json() == error(NOT_CUSTODIAN, "permission_denied")


def _two_lots(actors: Actors) -> None:
    actors.post("/api/v1/lots", "htx", harvest_body(code="XOAI-T02", quantity="500"))
    hand_over(actors.post, LOT, "htx", "dg")
    hand_over(actors.post, "XOAI-T02", "htx", "dg")


def test_a_merge_combines_what_is_left_of_lots_of_one_product(lot: Actors) -> None:
    _two_lots(lot)
    lot.post(f"/api/v1/lots/{LOT}/split", "dg", {"children": [{"code": "S-1", "quantity": 100}]})
    response = call(lot, "/api/v1/lots/merge", "dg", {"lots": [LOT, "XOAI-T02"], "code": "M-1"})
    assert response.status_code == 201
    body = response.json()
    assert body == {
        "code": "M-1",
        "product": {"code": "xoai", "name_vi": "Xoài cát Hòa Lộc", "name_en": None, "gtin": None},
        "quantity": "1400",
        "remaining_quantity": "1400",
        "unit": "kg",
        "harvested_at": "2026-04-30T23:30:00Z",
        "custodian": DG,
        "recalled": False,
        "farm": {
            "code": "F-01",
            "name": "Vườn ông Tư",
            "commune": "Mỹ Xương",
            "province": "Đồng Tháp",
            "growing_area_code": None,
            "certifications": [],
        },
        "event": {"id": A_UUID, "event_hash": A_HASH, "status": "pending"},
    }
    merged = lot_record(lot, "M-1")
    assert merged["parents"] == [
        {"code": LOT, "kind": "merge", "quantity": "900"},
        {"code": "XOAI-T02", "kind": "merge", "quantity": "500"},
    ]
    assert merged["events"][0]["data"] == {
        "sources": [{"code": LOT, "quantity": "900"}, {"code": "XOAI-T02", "quantity": "500"}]
    }
    source = lot_record(lot, LOT)
    assert source["remaining_quantity"] == "0"
    assert source["events"][-1]["data"] == {"into": "M-1", "quantity": "900"}
    used_up = call(lot, "/api/v1/lots/merge", "dg", {"lots": [LOT, "M-1"]})
    assert used_up.status_code == 409
    assert used_up.json() == error(
        "Lô đã hết số lượng / nothing is left of this lot", "conflict", "lots[0]"
    )


def test_a_merge_needs_lots_of_one_product_held_by_the_caller(lot: Actors) -> None:
    _two_lots(lot)
    lot.post("/api/v1/products", "htx", {"code": "sen", "name_vi": "Hạt sen"})
    lot.post("/api/v1/lots", "htx", harvest_body(code="SEN-01", product="sen"))
    held_elsewhere = call(lot, "/api/v1/lots/merge", "dg", {"lots": [LOT, "SEN-01"]})
    assert held_elsewhere.status_code == 403
    assert held_elsewhere.json() == error(NOT_CUSTODIAN, "permission_denied", "lots[1]")
    hand_over(lot.post, "SEN-01", "htx", "dg")
    mixed = call(lot, "/api/v1/lots/merge", "dg", {"lots": [LOT, "SEN-01"]})
    assert mixed.status_code == 422
    assert mixed.json() == invalid(
        "Các lô phải cùng sản phẩm / lots must be of the same product", "lots"
    )


@pytest.mark.parametrize(
    ("lots", "expected"),
    [
        ([LOT], invalid("Cần từ 2 đến 100 mục / needs 2 to 100 items", "lots")),
        ([LOT, LOT], invalid(REPEATED, "lots[1]")),
        (["NOPE", LOT], invalid(UNKNOWN_LOT, "lots[0]")),
    ],
)  # fmt: skip
def test_merge_lot_lists_are_validated(
    lot: Actors, lots: list[str], expected: dict[str, Any]
) -> None:
    _two_lots(lot)
    response = call(lot, "/api/v1/lots/merge", "dg", {"lots": lots})
    assert response.status_code == 422
    assert response.json() == expected


def test_a_merge_without_a_code_gets_a_generated_one(lot: Actors) -> None:
    _two_lots(lot)
    response = call(lot, "/api/v1/lots/merge", "dg", {"lots": [LOT, "XOAI-T02"]})
    assert response.status_code == 201
    assert response.json()["code"].startswith("DT-XOAI-")


def test_a_regulator_recalls_a_lot(packed: Actors) -> None:
    reason = "Dư lượng thuốc bảo vệ thực vật vượt ngưỡng"
    response = call(packed, f"/api/v1/lots/{LOT}/recall", "ql", {"reason": reason})
    assert response.status_code == 200
    assert response.json() == {
        "code": LOT,
        "custodian": DG,
        "recalled": True,
        "recalled_at": A_TIMESTAMP,
        "recall_reason": reason,
        "event": {"id": A_UUID, "event_hash": A_HASH, "status": "pending"},
    }
    record = lot_record(packed, LOT)
    assert (record["recalled"], record["recall_reason"]) == (True, reason)
    assert record["events"][-1]["type"] == "recall"
    assert record["events"][-1]["org"] == "ql"
    assert record["events"][-1]["data"] == {"reason": reason}


@pytest.mark.parametrize("who", ["htx", "dg"])
def test_only_a_regulator_recalls(packed: Actors, who: str) -> None:
    response = call(packed, f"/api/v1/lots/{LOT}/recall", who, {"reason": "x"})
    assert response.status_code == 403
    assert response.json() == error(WRONG_ROLE, "permission_denied")


def test_a_recalled_lot_cannot_move_or_be_recalled_again(packed: Actors) -> None:
    packed.post(f"/api/v1/lots/{LOT}/recall", "ql", {"reason": "Nhiễm khuẩn"})
    again = call(packed, f"/api/v1/lots/{LOT}/recall", "ql", {"reason": "x"})
    assert again.status_code == 409
    assert again.json() == error("Lô đã bị thu hồi trước đó / lot was already recalled", "conflict")
    for path, body in (
        ("transfer", {"to": "htx"}),
        ("split", {"children": [{"quantity": 1}]}),
    ):
        response = call(packed, f"/api/v1/lots/{LOT}/{path}", "dg", body)
        assert response.status_code == 409
        assert response.json() == error(RECALLED, "conflict")
    note_after = call(packed, f"/api/v1/lots/{LOT}/events", "dg", note("Đã tiêu hủy"))
    assert note_after.status_code == 201


def test_a_recall_needs_a_reason(packed: Actors) -> None:
    response = call(packed, f"/api/v1/lots/{LOT}/recall", "ql", {"reason": ""})
    assert response.status_code == 422
    assert response.json() == invalid("Không được để trống / must not be empty", "reason")
