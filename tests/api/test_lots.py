"""Harvest lots: creation, codes, validation, the public lot record and the caller's listing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.hashing import (
    canonical_document,
    event_hash,
    from_hex,
    keccak,
    read_document,
    to_hex,
)
from tests.support.app import Actors, harvest_body
from tests.support.bodies import (
    A_HASH,
    A_TIMESTAMP,
    A_UUID,
    CODE_RULE,
    FUTURE,
    NAIVE,
    NOT_FARM_OWNER,
    POSITIVE,
    UNKNOWN_LOT,
    WRONG_ROLE,
    a_generated_code,
    error,
    invalid,
)

PRODUCT = {"code": "xoai", "name_vi": "Xoài cát Hòa Lộc", "name_en": None, "gtin": None}
HTX = {"slug": "htx", "name": "HTX Mỹ Xương", "role": "cooperative"}
FARM: dict[str, Any] = {
    "code": "F-01",
    "name": "Vườn ông Tư",
    "commune": "Mỹ Xương",
    "province": "Đồng Tháp",
    "growing_area_code": None,
    "certifications": [],
}


#: Lots begun under proof rules v1 keep taking v1 events after the switch to v2, so what the
#: API stores and shows is checked under both (``rules`` of a test, through its mark).
RULES = [
    pytest.param(1, marks=pytest.mark.event_schema(1), id="v1"),
    pytest.param(2, marks=pytest.mark.event_schema(2), id="v2"),
]
#: Members of a rules-v2 event as the API shows it that are its document's, member for member.
SHOWN_FROM_DOCUMENT = ("id", "type", "occurred_at", "org", "org_name", "seq", "location", "data")


def recomputed_hash(client: TestClient, lot_code: str, event: dict[str, Any]) -> str:
    """The hash an outside verifier gets for the event as the API shows it.

    Rules v1: the document is rebuilt from the members shown. Rules v2 (the event shows its
    ``seq``): the document also names the previous event and, at seq 1, the lot's facts with
    values no page shows (committed points), so the verifier takes the stored bytes from the
    public proof bundle, checks that they are a canonical v2 document of this lot stating
    exactly what the API shows, and hashes those bytes (proof rules 3.5).
    """
    if "seq" not in event:
        document = canonical_document(
            event_id=event["id"],
            lot_code=lot_code,
            event_type=event["type"],
            occurred_at=datetime.fromisoformat(event["occurred_at"]),
            org_slug=event["org"],
            location=event["location"],
            data=event["data"],
        )
        return to_hex(event_hash(document))
    raw = stored_bytes(client, lot_code, event["id"])
    stated = read_document(raw)  # refuses bytes that are not their own canonical v2 form
    assert stated["lot"] == lot_code
    assert {k: stated[k] for k in SHOWN_FROM_DOCUMENT} == {k: event[k] for k in SHOWN_FROM_DOCUMENT}
    return to_hex(keccak(raw))


def stored_bytes(client: TestClient, lot_code: str, event_id: str) -> bytes:
    """A rules-v2 event's stored canonical bytes, as the public proof bundle hands them out."""
    bundle = client.get(f"/api/v1/lots/{lot_code}/proof").json()
    [entry] = [e for e in bundle["events"] if e["id"] == event_id]
    return from_hex(entry["canonical_hex"], size=None)


def disclosed(actors: Actors, lot_code: str, event_id: str, who: str = "htx") -> dict[str, Any]:
    """The private values of one event its recorder reads back, by path; each must open the
    commitment in the stored document."""
    headers = actors.headers[who]
    body = actors.client.get(f"/api/v1/lots/{lot_code}/disclosure", headers=headers).json()
    [entry] = [e for e in body["events"] if e["event_id"] == event_id]
    assert all(value["checked"] for value in entry["values"])
    return {value["path"]: value["value"] for value in entry["values"]}


def test_creating_a_lot_records_its_harvest_event(supply_chain: Actors) -> None:
    response = supply_chain.client.post(
        "/api/v1/lots", json=harvest_body(quantity=1250.5), headers=supply_chain.headers["htx"]
    )
    assert response.status_code == 201
    assert response.json() == {
        "code": a_generated_code("DT-XOAI-2605"),
        "product": PRODUCT,
        "quantity": "1250.5",
        "remaining_quantity": "1250.5",
        "unit": "kg",
        "harvested_at": "2026-04-30T23:30:00Z",
        "custodian": HTX,
        "recalled": False,
        "farm": FARM,
        "event": {"id": A_UUID, "event_hash": A_HASH, "status": "pending"},
    }


def test_generated_codes_carry_a_random_part_and_given_codes_are_kept(
    supply_chain: Actors,
) -> None:
    post = supply_chain.post
    first = post("/api/v1/lots", "htx", harvest_body())["code"]
    second = post("/api/v1/lots", "htx", harvest_body())["code"]
    assert first == a_generated_code("DT-XOAI-2605") and second == a_generated_code("DT-XOAI-2605")
    assert first != second and len(first) == 19  # within GS1 AI (10)'s 20 characters
    assert post("/api/v1/lots", "htx", harvest_body(code="XOAI-T01"))["code"] == "XOAI-T01"
    june = harvest_body(harvested_at="2026-06-01T00:10:00+07:00")
    assert post("/api/v1/lots", "htx", june)["code"] == a_generated_code("DT-XOAI-2606")


@pytest.mark.parametrize("rules", RULES)
def test_the_full_lot_record_shows_origin_custody_and_events(
    supply_chain: Actors, rules: int
) -> None:
    """A rules-v1 lot is shown from its rows. A rules-v2 lot is shown from its verified
    documents, so its record also states its rules, verdict and whether every fact was read
    from a checked document, the producer its first document names, which farm members are
    kept private, and for each event its seq, the recorder's name and the chain's answer."""
    created = supply_chain.post("/api/v1/lots", "htx", harvest_body(code="XOAI-T01"))
    headers = supply_chain.headers["htx"]  # the custodian reads the full record
    response = supply_chain.client.get("/api/v1/lots/XOAI-T01", headers=headers)
    assert response.status_code == 200
    body = response.json()
    harvest = {
        "id": created["event"]["id"],
        "type": "harvest",
        "occurred_at": "2026-04-30T23:30:00Z",
        "recorded_at": A_TIMESTAMP,
        "org": "htx",
        "location": None,
        "data": {"product": "xoai", "farm": "F-01", "quantity": "1000", "unit": "kg"},
        "event_hash": created["event"]["event_hash"],
        "status": "pending",
        "batch_root": None,
    }
    expected = {
        "code": "XOAI-T01",
        "product": PRODUCT,
        "quantity": "1000",
        "remaining_quantity": "1000",
        "unit": "kg",
        "harvested_at": "2026-04-30T23:30:00Z",
        "custodian": HTX,
        "recalled": False,
        "farm": FARM,
        "parents": [],
        "children": [],
        "recalled_at": None,
        "recall_reason": None,
        "events": [harvest],
    }
    if rules == 2:
        harvest.update(seq=1, org_name="HTX Mỹ Xương", proven=True, recorded_late=False)
        harvest.update(tx_hash=None, block_number=None, anchored_at=None)
        producer = {"slug": "htx", "name": "HTX Mỹ Xương"}
        expected.update(rules=2, verdict="pending", verified_facts=True, producer=producer)
        expected.update(farm={**FARM, "private": []})
    assert body == expected
    shown = body["events"][0]
    assert recomputed_hash(supply_chain.client, "XOAI-T01", shown) == created["event"]["event_hash"]


@pytest.mark.parametrize("rules", RULES)
def test_without_read_rights_the_lot_record_is_what_its_page_shows(
    supply_chain: Actors, rules: int
) -> None:
    """No key, or the key of an organisation that never touched the lot: the lot's public face,
    with no custodian, remaining quantity, children, event ids, hashes or raw data."""
    supply_chain.post("/api/v1/lots", "htx", harvest_body(code="XOAI-T01"))
    expected = {
        "code": "XOAI-T01",
        "rules": rules,
        "verdict": "pending" if rules == 2 else None,
        "product": {"name_vi": "Xoài cát Hòa Lộc", "name_en": None, "gtin": None},
        "brand_owner": None,
        "producer": "HTX Mỹ Xương",
        "farm": {
            **{key: value for key, value in FARM.items() if key != "code"},
            "growing_area_status": None,
        },
        "quantity": "1000",
        "unit": "kg",
        "harvested_at": "2026-04-30T23:30:00Z",
        "parents": [],
        "recalled": False,
        "recalled_at": None,
        "recall_reason": None,
        "in_transit_to": None,
        "events": [
            {
                "type": "harvest",
                "occurred_at": "2026-04-30T23:30:00Z",
                "org_name": "HTX Mỹ Xương",
                "anchored_at": None,
                "recorded_late": False,
                "tx_hash": None,
                "block_number": None,
            }
        ],
    }
    for headers in ({}, supply_chain.headers["htx2"]):
        response = supply_chain.client.get("/api/v1/lots/XOAI-T01", headers=headers)
        assert response.status_code == 200
        assert response.json() == expected


def test_an_unknown_lot_is_404(supply_chain: Actors) -> None:
    response = supply_chain.client.get("/api/v1/lots/NO-SUCH-LOT")
    assert response.status_code == 404
    assert response.json() == error(UNKNOWN_LOT, "not_found")


def _in(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"quantity": 0}, invalid(POSITIVE, "quantity")),
        ({"quantity": "-5"}, invalid(POSITIVE, "quantity")),
        ({"quantity": -0.5}, invalid(POSITIVE, "quantity")),
        (
            {"quantity": "1e3"},
            invalid(
                'Phải là số thập phân, ví dụ "12.5" / must be a decimal number such as "12.5"',
                "quantity",
            ),
        ),
        (
            {"quantity": "1.1234567"},
            invalid("Tối đa 6 chữ số thập phân / at most 6 decimal places", "quantity"),
        ),
        ({"product": "sen"}, invalid("Không tìm thấy sản phẩm / product not found", "product")),
        ({"farm": "F-99"}, invalid("Không tìm thấy vùng trồng / farm not found", "farm")),
        ({"harvested_at": _in(30)}, invalid(FUTURE, "harvested_at")),
        ({"harvested_at": "2026-05-01T06:30:00"}, invalid(NAIVE, "harvested_at")),
        ({"unit": ""}, invalid("Không được để trống / must not be empty", "unit")),
        ({"code": "XOAI 01"}, invalid(CODE_RULE.format(n=20), "code")),
        ({"code": "XOAI-\u000001"}, invalid(CODE_RULE.format(n=20), "code")),
        ({"code": "X" * 21}, invalid(CODE_RULE.format(n=20), "code")),
        ({"code": "XOÀI-01"}, invalid(CODE_RULE.format(n=20), "code")),
        (
            {"data": {"quantity": "5"}},
            invalid("Trường do hệ thống ghi / field is set by the system", "data.quantity"),
        ),
    ],
)
def test_lot_fields_are_validated(
    supply_chain: Actors, changes: dict[str, Any], expected: dict[str, Any]
) -> None:
    response = supply_chain.client.post(
        "/api/v1/lots", json=harvest_body(**changes), headers=supply_chain.headers["htx"]
    )
    assert response.status_code == 422
    assert response.json() == expected


@pytest.mark.parametrize("value", [True, None, [1], {"v": 1}])
def test_a_quantity_must_be_a_json_number_or_a_string(supply_chain: Actors, value: Any) -> None:
    response = supply_chain.client.post(
        "/api/v1/lots", json=harvest_body(quantity=value), headers=supply_chain.headers["htx"]
    )
    assert response.status_code == 422
    assert response.json()["field"] == "quantity"
    assert response.json()["code"] == "invalid_input"


@pytest.mark.parametrize("value", [1767225600, "yesterday"])
def test_a_harvest_time_must_be_rfc3339_text(supply_chain: Actors, value: Any) -> None:
    response = supply_chain.client.post(
        "/api/v1/lots", json=harvest_body(harvested_at=value), headers=supply_chain.headers["htx"]
    )
    assert response.status_code == 422
    assert response.json()["field"] == "harvested_at"


def test_a_harvest_time_a_little_ahead_of_the_server_clock_is_accepted(
    supply_chain: Actors,
) -> None:
    response = supply_chain.client.post(
        "/api/v1/lots", json=harvest_body(harvested_at=_in(3)), headers=supply_chain.headers["htx"]
    )
    assert response.status_code == 201


def test_a_cooperative_harvests_only_on_its_own_farms(supply_chain: Actors) -> None:
    response = supply_chain.client.post(
        "/api/v1/lots", json=harvest_body(), headers=supply_chain.headers["htx2"]
    )
    assert response.status_code == 403
    assert response.json() == error(NOT_FARM_OWNER, "permission_denied", "farm")


@pytest.mark.parametrize("who", ["dg", "ql"])
def test_only_cooperatives_create_harvest_lots(supply_chain: Actors, who: str) -> None:
    response = supply_chain.client.post(
        "/api/v1/lots", json=harvest_body(), headers=supply_chain.headers[who]
    )
    assert response.status_code == 403
    assert response.json() == error(WRONG_ROLE, "permission_denied")


def test_a_duplicate_lot_code_conflicts(supply_chain: Actors) -> None:
    supply_chain.post("/api/v1/lots", "htx", harvest_body(code="XOAI-T01"))
    response = supply_chain.client.post(
        "/api/v1/lots", json=harvest_body(code="XOAI-T01"), headers=supply_chain.headers["htx"]
    )
    assert response.status_code == 409
    assert response.json() == error(
        "Mã lô đã tồn tại / lot code already exists", "conflict", "code"
    )


def test_the_lot_listing_is_the_callers_lots_newest_first_paginated(supply_chain: Actors) -> None:
    for index in range(3):
        supply_chain.post("/api/v1/lots", "htx", harvest_body(code=f"L-{index}"))
    client, headers = supply_chain.client, supply_chain.headers
    page = client.get("/api/v1/lots?limit=2&offset=0", headers=headers["htx"])
    assert page.status_code == 200
    assert [item["code"] for item in page.json()["items"]] == ["L-2", "L-1"]
    assert {k: v for k, v in page.json().items() if k != "items"} == {
        "total": 3,
        "limit": 2,
        "offset": 0,
    }
    rest = client.get("/api/v1/lots?limit=2&offset=2", headers=headers["htx"]).json()
    assert [item["code"] for item in rest["items"]] == ["L-0"]
    assert client.get("/api/v1/lots", headers=headers["dg"]).json()["total"] == 0
    assert client.get("/api/v1/lots", headers=headers["ql"]).json()["total"] == 3
    too_big = client.get("/api/v1/lots?limit=1000", headers=headers["htx"])
    assert too_big.status_code == 422
    assert too_big.json()["field"] == "query.limit"
    # An offset no database integer holds is refused, not passed on to fail as a 500.
    huge = client.get(f"/api/v1/lots?offset={2**64}", headers=headers["htx"])
    assert huge.status_code == 422
    assert huge.json()["field"] == "query.offset"
    assert client.get("/api/v1/lots?offset=1000000000", headers=headers["htx"]).status_code == 200
