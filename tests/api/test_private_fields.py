"""Free text marked private at entry (``"private": [...]`` in an event body) is recorded under
rules v2 as a commitment, its value kept as a disclosure; rules v1 refuse the mark."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from backend.models import Disclosure
from backend.runtime import Runtime
from tests.support.app import ADMIN, Actors, harvest_body
from tests.support.bodies import A_HASH, invalid

LOT = "LO-PRIV"
RULES_V1 = (
    "Sự kiện của lô này được ghi theo quy tắc chứng minh v1; tài liệu v1 không có cam kết nên "
    "không thể giữ kín trường nào / events of this lot are recorded under proof rules v1, whose "
    "documents have no commitments, so no field can be kept private"
)
NOT_IN_DATA = "Không phải một trường của data / not a member of data"
REPEATED = "Trường bị nêu hai lần / named twice"
NOT_FREE_TEXT = (
    "Chỉ giữ kín được trường văn bản tự do, không phải dữ liệu chính của bản ghi / "
    "only free-text members can be private, not the facts of the record"
)
SPRAY = {
    "product": "Nativo 750WG",
    "active_ingredient": "Tebuconazole + Trifloxystrobin",
    "dose": "0.3",
    "unit": "g/L",
    "pre_harvest_interval_days": 7,
    "note": "Anh Tư phun, gọi 0912 345 678",
}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"event_schema": 2}


@pytest.fixture
def runtime(chain_runtime: Runtime) -> Runtime:
    return chain_runtime


@pytest.fixture
def lot(supply_chain: Actors) -> Actors:
    supply_chain.post("/api/v1/lots", "htx", harvest_body(code=LOT))
    return supply_chain


def spray(**extra: Any) -> dict[str, Any]:
    return {
        "type": "input_application",
        "occurred_at": "2026-04-20T08:00:00Z",
        "data": SPRAY,
        **extra,
    }


def post_event(actors: Actors, body: dict[str, Any]) -> Any:
    return actors.client.post(
        f"/api/v1/lots/{LOT}/events", json=body, headers=actors.headers["htx"]
    )


def recorded_events(client: TestClient, code: str = LOT) -> list[dict[str, Any]]:
    """The events of the lot's full record (a reader with rights: the admin); private values
    appear there as commitments too."""
    record = client.get(f"/api/v1/lots/{code}", headers=ADMIN)
    events: list[dict[str, Any]] = record.json()["events"]
    return events


def disclosures(runtime: Runtime) -> list[Disclosure]:
    with Session(runtime.engine) as session:
        return list(session.exec(select(Disclosure).order_by(col(Disclosure.id))).all())


def test_a_note_marked_private_is_recorded_as_a_commitment(runtime: Runtime, lot: Actors) -> None:
    response = post_event(lot, spray(private=["note"]))
    assert response.status_code == 201, response.text
    recorded = next(e for e in recorded_events(lot.client) if e["id"] == response.json()["id"])
    assert recorded["data"] == {**SPRAY, "note": {"commitment": A_HASH}}
    [kept] = disclosures(runtime)
    assert (kept.event_id, kept.path, kept.value) == (recorded["id"], "data.note", SPRAY["note"])


def test_without_a_private_mark_the_note_stays_readable(runtime: Runtime, lot: Actors) -> None:
    response = post_event(lot, spray())
    assert response.status_code == 201
    assert recorded_events(lot.client)[0]["data"] == SPRAY
    assert disclosures(runtime) == []


@pytest.mark.parametrize(
    ("private", "expected"),
    [
        (["notes"], invalid(NOT_IN_DATA, "private[0]")),
        (["note", "note"], invalid(REPEATED, "private[1]")),
        (["note", "product"], invalid(NOT_FREE_TEXT, "private[1]")),
        (["dose"], invalid(NOT_FREE_TEXT, "private[0]")),
        (["pre_harvest_interval_days"], invalid(NOT_FREE_TEXT, "private[0]")),
    ],
)
def test_private_names_must_be_free_text_members_of_data_named_once(
    runtime: Runtime, lot: Actors, private: list[str], expected: dict[str, Any]
) -> None:
    response = post_event(lot, spray(private=private))
    assert response.status_code == 422
    assert response.json() == expected
    assert len(recorded_events(lot.client)) == 1  # the harvest only
    assert disclosures(runtime) == []


def test_a_quality_result_stays_public_but_its_inspector_may_be_private(lot: Actors) -> None:
    body = {
        "type": "quality_check",
        "occurred_at": "2026-05-02T08:00:00Z",
        "data": {"result": "pass", "inspector": "Lê Thị Hoa", "brix": 16},
    }
    for private, field in ((["result"], "private[0]"), (["brix"], "private[0]")):
        response = post_event(lot, {**body, "private": private})
        assert response.json() == invalid(NOT_FREE_TEXT, field)
    assert post_event(lot, {**body, "private": ["inspector"]}).status_code == 201
    checked = recorded_events(lot.client)[-1]["data"]
    assert checked == {"result": "pass", "inspector": {"commitment": A_HASH}, "brix": 16}


def test_private_must_be_a_list_of_names(lot: Actors) -> None:
    response = post_event(lot, spray(private="note"))
    assert response.status_code == 422
    assert response.json()["field"] == "private"


@pytest.mark.parametrize("settings_overrides", [{"event_schema": 1}])
def test_rules_v1_refuse_a_private_mark_rather_than_publish_the_value(
    runtime: Runtime, lot: Actors
) -> None:
    response = post_event(lot, spray(private=["note"]))
    assert response.status_code == 422
    assert response.json() == invalid(RULES_V1, "private")
    assert post_event(lot, spray(private=[])).status_code == 201
    assert disclosures(runtime) == []


def test_a_batch_item_with_a_bad_mark_is_named_and_nothing_is_stored(
    runtime: Runtime, lot: Actors
) -> None:
    good = {"lot": LOT, **spray(private=["note"])}
    bad = {"lot": LOT, **spray(private=["note", "brix"])}
    response = lot.client.post(
        "/api/v1/events/batch", json={"events": [good, bad]}, headers=lot.headers["htx"]
    )
    assert response.status_code == 422
    assert response.json() == invalid(NOT_IN_DATA, "events[1].private[1]")
    assert disclosures(runtime) == []


def test_a_batch_records_each_items_private_members(runtime: Runtime, lot: Actors) -> None:
    items = [
        {"lot": LOT, **spray(private=["note"])},
        {"lot": LOT, **spray()},
        {"lot": LOT, "type": "note", "occurred_at": "2026-05-02T08:00:00Z",
         "data": {"text": "Gặp chị Lan ở vườn"}, "private": ["text"]},
    ]  # fmt: skip
    lot.post("/api/v1/events/batch", "htx", {"events": items})
    by_id = {e["id"]: e["data"] for e in recorded_events(lot.client)}
    kept = disclosures(runtime)
    assert [(d.path, d.value) for d in kept] == [
        ("data.note", SPRAY["note"]),
        ("data.text", "Gặp chị Lan ở vườn"),
    ]
    assert by_id[kept[0].event_id]["note"] == {"commitment": A_HASH}
    assert by_id[kept[1].event_id] == {"text": {"commitment": A_HASH}}
    assert sum(1 for data in by_id.values() if data == SPRAY) == 1


def test_a_harvest_lot_may_keep_its_own_free_text_private(
    runtime: Runtime, supply_chain: Actors
) -> None:
    extra = {"picker": "Nguyễn Văn Tư", "note": "Hái sáng"}
    body = harvest_body(code=LOT, data=extra, private=["picker"])
    supply_chain.post("/api/v1/lots", "htx", body)
    [harvest] = recorded_events(supply_chain.client)
    assert harvest["data"]["picker"] == {"commitment": A_HASH}
    assert harvest["data"]["note"] == "Hái sáng"
    assert [(d.path, d.value) for d in disclosures(runtime)] == [("data.picker", "Nguyễn Văn Tư")]
    refused = supply_chain.client.post(
        "/api/v1/lots",
        json=harvest_body(code="LO-PRIV-2", private=["quantity"]),
        headers=supply_chain.headers["htx"],
    )
    assert refused.json() == invalid(NOT_FREE_TEXT, "private[0]")
