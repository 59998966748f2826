"""Two-step custody over HTTP: a transfer opens a shipment; only its receiver receives or
refuses it; the sender keeps the lot until then and may cancel once the shipment expired."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, col, select

from backend.models import Event
from backend.models_custody import Shipment
from backend.runtime import Runtime
from backend.timeutil import rfc3339_z, utcnow
from tests.support.app import ADMIN, Actors, harvest_body
from tests.support.bodies import A_HASH, A_TIMESTAMP, A_UUID, NOT_CUSTODIAN, error, invalid
from tests.support.custody import receive
from tests.support.ledger_flow import execute

LOT = "XOAI-S01"
HTX = {"slug": "htx", "name": "HTX Mỹ Xương", "role": "cooperative"}
DG = {"slug": "dg", "name": "Đóng gói Sa Đéc", "role": "packer"}
IN_TRANSIT = (
    "Lô đang vận chuyển: bên nhận phải nhận hoặc từ chối trước (bên gửi chỉ được huỷ chuyến "
    "hàng khi đã quá hạn) / lot is in transit: the receiver must receive or refuse it first "
    "(the sender may only cancel the shipment once it has expired)"
)
NO_SHIPMENT = "Lô không có chuyến hàng nào đang chờ nhận / lot has no shipment awaiting receipt"
NOT_RECEIVER = (
    "Chỉ tổ chức được gửi đến trong chuyến hàng mới được nhận hoặc từ chối lô / only the "
    "organisation the shipment is addressed to may receive or refuse it"
)
NOT_SENDER = "Chỉ bên gửi mới được huỷ chuyến hàng / only the sender may cancel the shipment"


@pytest.fixture
def sent(supply_chain: Actors) -> Actors:
    """Lot ``LOT`` harvested by ``htx`` and sent to the packer ``dg``, not yet answered."""
    supply_chain.post("/api/v1/lots", "htx", harvest_body(code=LOT))
    body = {"to": "dg", "occurred_at": "2026-05-02T08:00:00+07:00"}
    supply_chain.post(f"/api/v1/lots/{LOT}/transfer", "htx", body)
    return supply_chain


def call(actors: Actors, step: str, who: str, body: Any = None, code: str = LOT) -> Any:
    return actors.client.post(
        f"/api/v1/lots/{code}/{step}", json=body or {}, headers=actors.headers[who]
    )


def record(actors: Actors) -> dict[str, Any]:
    found: dict[str, Any] = actors.client.get(f"/api/v1/lots/{LOT}", headers=ADMIN).json()
    return found


def note(text: str = "x") -> dict[str, Any]:
    return {"type": "note", "occurred_at": "2026-05-03T08:00:00Z", "data": {"text": text}}


def test_a_transfer_never_received_leaves_the_sender_custodian_and_the_lot_frozen(
    sent: Actors,
) -> None:
    assert record(sent)["custodian"] == HTX
    for step, body in (
        ("events", note()),
        ("transfer", {"to": "htx2"}),
        ("split", {"children": [{"quantity": "1"}]}),
    ):
        refused = call(sent, step, "htx", body)
        assert refused.status_code == 409, step
        assert refused.json() == error(IN_TRANSIT, "conflict")
    batch = {"events": [{**note(), "lot": LOT}]}
    refused = sent.client.post("/api/v1/events/batch", json=batch, headers=sent.headers["htx"])
    assert refused.status_code == 409
    assert refused.json() == error(IN_TRANSIT, "conflict", "events[0].lot")
    sent.post("/api/v1/lots", "htx", harvest_body(code="XOAI-S03"))
    merge = {"lots": ["XOAI-S03", LOT]}
    merged = sent.client.post("/api/v1/lots/merge", json=merge, headers=sent.headers["htx"])
    assert merged.status_code == 409
    assert merged.json() == error(IN_TRANSIT, "conflict", "lots[1]")
    # The receiver may read the lot it is asked to take, but not act on it.
    assert sent.client.get(f"/api/v1/lots/{LOT}", headers=sent.headers["dg"]).json()["custodian"]
    early = call(sent, "events", "dg", note())
    assert early.status_code == 403 and early.json() == error(NOT_CUSTODIAN, "permission_denied")
    assert [e["type"] for e in record(sent)["events"]] == ["harvest", "transfer"]


def test_the_receiver_receives_and_becomes_custodian_with_its_own_signed_event(
    sent: Actors, runtime: Runtime
) -> None:
    response = call(sent, "receive", "dg", {"note": "Nhận đủ 40 thùng"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {
        "code": LOT,
        "custodian": DG,
        "in_transit": False,
        "shipment": {
            "id": A_UUID,
            "status": "received",
            "sender": HTX,
            "receiver": DG,
            "sent_at": A_TIMESTAMP,
            "cancellable_from": A_TIMESTAMP,
            "reason": None,
        },
        "event": {"id": A_UUID, "event_hash": A_HASH, "status": "pending"},
    }
    events = record(sent)["events"]
    transfer, received = events[-2:]
    assert (received["type"], received["org"]) == ("transfer_received", "dg")
    assert received["data"] == {
        "shipment": transfer["data"]["shipment"],
        "transfer": transfer["event_hash"],
        "note": "Nhận đủ 40 thùng",
    }
    with Session(runtime.engine) as session:
        signers = {
            event.id: event.signer
            for event in session.exec(
                select(Event).where(col(Event.id).in_([transfer["id"], received["id"]]))
            )
        }
    assert signers[received["id"]] and signers[received["id"]] != signers[transfer["id"]]
    assert record(sent)["custodian"] == DG
    assert call(sent, "events", "dg", note()).status_code == 201
    assert call(sent, "events", "htx", note()).status_code == 403


def test_only_the_named_receiver_may_receive_or_refuse(sent: Actors) -> None:
    for who in ("htx", "htx2", "ql"):  # the sender, another cooperative, a regulator
        for step, body in (("receive", {}), ("refuse", {"reason": "Không đặt hàng"})):
            response = call(sent, step, who, body)
            assert response.status_code == 403, (step, who)
            assert response.json() == error(NOT_RECEIVER, "permission_denied")
    assert record(sent)["custodian"] == HTX


def test_receiving_a_lot_with_no_open_shipment_is_a_conflict(sent: Actors) -> None:
    sent.post("/api/v1/lots", "htx", harvest_body(code="XOAI-S02"))
    for code in ("XOAI-S02", LOT):
        if code == LOT:
            receive(sent.post, LOT, "dg")  # answered: nothing is open any more
        for step, who in (("receive", "dg"), ("refuse", "dg"), ("cancel-shipment", "htx")):
            response = call(sent, step, who, {"reason": "x"} if step == "refuse" else {}, code)
            assert response.status_code == 409, (code, step)
            assert response.json() == error(NO_SHIPMENT, "conflict")
    unknown = call(sent, "receive", "dg", code="NOPE")
    assert unknown.status_code == 404


def test_a_refusal_states_its_reason_and_the_sender_keeps_the_lot(sent: Actors) -> None:
    missing = call(sent, "refuse", "dg", {"reason": "  "})
    assert missing.status_code == 422
    assert missing.json()["field"] == "reason"
    response = call(sent, "refuse", "dg", {"reason": "Xoài dập, nhiệt độ xe quá cao"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["custodian"], body["in_transit"]) == (HTX, False)
    assert body["shipment"]["status"] == "refused"
    assert body["shipment"]["reason"] == "Xoài dập, nhiệt độ xe quá cao"
    refused = record(sent)["events"][-1]
    assert (refused["type"], refused["org"]) == ("transfer_refused", "dg")
    assert refused["data"]["reason"] == "Xoài dập, nhiệt độ xe quá cao"
    assert call(sent, "events", "htx", note()).status_code == 201  # free again
    assert call(sent, "transfer", "htx", {"to": "htx2"}).status_code == 200


def test_an_answer_cannot_predate_the_transfer(sent: Actors) -> None:
    response = call(sent, "receive", "dg", {"occurred_at": "2026-05-01T08:00:00+07:00"})
    assert response.status_code == 422
    assert response.json() == invalid(
        "Không thể sớm hơn thời điểm gửi hàng / cannot be earlier than the transfer", "occurred_at"
    )


def _age_shipment(runtime: Runtime, hours: float) -> None:
    execute(
        runtime.engine,
        "UPDATE shipment SET sent_at = :when",
        when=(utcnow() - timedelta(hours=hours)).isoformat(sep=" "),
    )


def test_the_sender_cancels_only_after_the_expiry(sent: Actors, runtime: Runtime) -> None:
    too_early = call(sent, "cancel-shipment", "htx")
    assert too_early.status_code == 409
    with Session(runtime.engine) as session:
        shipment = session.exec(select(Shipment)).one()
        allowed = rfc3339_z(shipment.sent_at + timedelta(hours=168, seconds=1))
    detail = too_early.json()["detail"]
    assert "168" in detail and allowed[:16] in detail  # names when it becomes allowed
    assert too_early.json()["code"] == "conflict"
    by_receiver = call(sent, "cancel-shipment", "dg")
    assert by_receiver.status_code == 403
    assert by_receiver.json() == error(NOT_SENDER, "permission_denied")

    _age_shipment(runtime, 167.9)
    assert call(sent, "cancel-shipment", "htx").status_code == 409
    _age_shipment(runtime, 168.1)
    response = call(sent, "cancel-shipment", "htx", {"note": "Bên nhận không trả lời"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["custodian"], body["in_transit"], body["shipment"]["status"]) == (
        HTX,
        False,
        "voided",
    )
    assert record(sent)["events"][-1]["type"] == "transfer_voided"
    assert call(sent, "receive", "dg").json() == error(NO_SHIPMENT, "conflict")
    assert call(sent, "events", "htx", note()).status_code == 201


def test_the_public_record_and_the_consumer_page_say_in_transit_until_received(
    sent: Actors,
) -> None:
    public = sent.client.get(f"/api/v1/lots/{LOT}").json()
    assert public["in_transit_to"] == "Đóng gói Sa Đéc"
    assert "shipment" not in str(public) and "custodian" not in public
    page = html.unescape(sent.client.get(f"/l/{LOT}").text)
    assert 'id="in-transit"' in page
    assert "Đang vận chuyển đến Đóng gói Sa Đéc" in page
    english = html.unescape(sent.client.get(f"/l/{LOT}?lang=en").text)
    assert "In transit to Đóng gói Sa Đéc" in english
    receive(sent.post, LOT, "dg")
    assert sent.client.get(f"/api/v1/lots/{LOT}").json()["in_transit_to"] is None
    page = html.unescape(sent.client.get(f"/l/{LOT}").text)
    assert 'id="in-transit"' not in page and "Nhận bàn giao" in page
