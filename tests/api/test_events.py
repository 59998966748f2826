"""Events on a lot: custodian only, per-type data rules, NFC, no floats, times."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api.test_lots import RULES, disclosed, recomputed_hash
from tests.support.app import ADMIN, Actors, harvest_body
from tests.support.bodies import (
    A_HASH,
    A_UUID,
    FUTURE,
    NAIVE,
    NOT_CUSTODIAN,
    POSITIVE,
    REQUIRED,
    UNKNOWN_LOT,
    error,
    invalid,
)

LOT = "XOAI-T01"
SPRAY = {
    "product": "Nativo 750WG",
    "active_ingredient": "Tebuconazole + Trifloxystrobin",
    "dose": "0.3",
    "unit": "g/L",
    "pre_harvest_interval_days": 7,
}


@pytest.fixture
def lot(supply_chain: Actors) -> Actors:
    supply_chain.post("/api/v1/lots", "htx", harvest_body(code=LOT))
    return supply_chain


def post_event(actors: Actors, body: dict[str, Any], who: str = "htx", code: str = LOT) -> Any:
    return actors.client.post(f"/api/v1/lots/{code}/events", json=body, headers=actors.headers[who])


def event(type_: str, data: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": type_, "occurred_at": "2026-04-20T08:00:00+07:00", "data": data, **extra}


def stored_events(actors: Actors, code: str = LOT) -> list[dict[str, Any]]:
    record = actors.client.get(f"/api/v1/lots/{code}", headers=ADMIN)  # the full record
    events: list[dict[str, Any]] = record.json()["events"]
    return events


@pytest.mark.parametrize("rules", RULES)
def test_the_custodian_records_an_input_application(lot: Actors, rules: int) -> None:
    response = post_event(lot, event("input_application", {**SPRAY, "note": "Phun sáng sớm"}))
    assert response.status_code == 201
    assert response.json() == {"id": A_UUID, "event_hash": A_HASH, "status": "pending"}
    first = stored_events(lot)[0]  # 20 April comes before the 1 May harvest
    assert first["id"] == response.json()["id"]
    assert first["data"] == {**SPRAY, "note": "Phun sáng sớm"}
    assert recomputed_hash(lot.client, LOT, first) == response.json()["event_hash"]


@pytest.mark.parametrize("missing", sorted(SPRAY))
def test_an_input_application_needs_every_required_key(lot: Actors, missing: str) -> None:
    data = {k: v for k, v in SPRAY.items() if k != missing}
    response = post_event(lot, event("input_application", data))
    assert response.status_code == 422
    assert response.json() == invalid(REQUIRED, f"data.{missing}")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"dose": "0"}, invalid(POSITIVE, "data.dose")),
        ({"dose": -1}, invalid(POSITIVE, "data.dose")),
        ({"pre_harvest_interval_days": -1},
         invalid("Phải từ 0 đến 3650 / must be between 0 and 3650",
                 "data.pre_harvest_interval_days")),
        ({"pre_harvest_interval_days": "7"},
         invalid("Phải là số nguyên / must be an integer", "data.pre_harvest_interval_days")),
        ({"pre_harvest_interval_days": 7.5},
         invalid("Phải là số nguyên / must be an integer", "data.pre_harvest_interval_days")),
        ({"operator": "Tư"},
         invalid("Trường không được phép / field not allowed", "data.operator")),
    ],
)  # fmt: skip
def test_input_application_values_are_checked(
    lot: Actors, changes: dict[str, Any], expected: dict[str, Any]
) -> None:
    response = post_event(lot, event("input_application", {**SPRAY, **changes}))
    assert response.status_code == 422
    assert response.json() == expected


def test_a_numeric_dose_is_stored_as_a_decimal_string(lot: Actors) -> None:
    assert post_event(lot, event("input_application", {**SPRAY, "dose": 0.25})).status_code == 201
    assert stored_events(lot)[0]["data"]["dose"] == "0.25"


@pytest.mark.parametrize(
    ("type_", "data", "expected"),
    [
        ("quality_check", {}, invalid(REQUIRED, "data.result")),
        ("quality_check", {"result": "ok"},
         invalid('Kết quả phải là "pass" hoặc "fail" / result must be "pass" or "fail"',
                 "data.result")),
        ("note", {}, invalid(REQUIRED, "data.text")),
        ("note", {"text": "  "}, invalid("Không được để trống / must not be empty", "data.text")),
    ],
)  # fmt: skip
def test_quality_checks_and_notes_need_their_keys(
    lot: Actors, type_: str, data: dict[str, Any], expected: dict[str, Any]
) -> None:
    response = post_event(lot, event(type_, data))
    assert response.status_code == 422
    assert response.json() == expected


@pytest.mark.parametrize("rules", RULES)
def test_other_types_take_any_object_and_floats_become_decimal_strings(
    lot: Actors, rules: int
) -> None:
    """Under rules v2 an exact point is private (proof rules 3.4): the document, and so the
    public record, holds its commitment, and the recorder reads the decimal strings back from
    the disclosure, which must open that commitment."""
    data = {"temperature_c": 4.5, "boxes": 120, "cold_chain": True, "notes": ["ok", None]}
    response = post_event(lot, event("packing", data, location={"lat": 10.29, "lon": 105.76}))
    assert response.status_code == 201
    stored = stored_events(lot)[0]
    assert stored["data"] == {
        "temperature_c": "4.5",
        "boxes": 120,
        "cold_chain": True,
        "notes": ["ok", None],
    }
    point = {"lat": "10.29", "lon": "105.76"}
    if rules == 1:
        assert stored["location"] == point
    else:
        assert stored["location"] == {"point": {"commitment": A_HASH}}
        assert disclosed(lot, LOT, stored["id"]) == {"location.point": point}
    assert recomputed_hash(lot.client, LOT, stored) == response.json()["event_hash"]


def test_integers_beyond_json_precision_are_refused(lot: Actors) -> None:
    response = post_event(lot, event("processing", {"weight_mg": 2**60}))
    assert response.status_code == 422
    assert response.json() == invalid(
        "Số nguyên quá lớn, hãy dùng chuỗi / integer too large, send it as a string",
        "data.weight_mg",
    )


@pytest.mark.parametrize("rules", RULES)
def test_vietnamese_text_in_nfd_is_stored_and_hashed_as_nfc(lot: Actors, rules: int) -> None:
    text = "Kiểm tra độ ngọt: đạt chuẩn"
    nfd_text, nfd_key = unicodedata.normalize("NFD", text), unicodedata.normalize("NFD", "ghi chú")
    response = post_event(lot, event("quality_check", {"result": "pass", nfd_key: nfd_text}))
    assert response.status_code == 201
    stored = stored_events(lot)[0]
    assert stored["data"] == {"result": "pass", "ghi chú": text}
    nfc_version = post_event(lot, event("quality_check", {"result": "pass", "ghi chú": text}))
    assert recomputed_hash(lot.client, LOT, stored) == response.json()["event_hash"]
    assert nfc_version.status_code == 201


def test_an_unknown_event_type_is_refused(lot: Actors) -> None:
    response = post_event(lot, event("fumigation", {}))
    assert response.status_code == 422
    assert response.json() == invalid(
        "Loại sự kiện không hợp lệ / unknown event type; expected one of: input_application, "
        "harvest, quality_check, processing, packing, shipping, receiving, retail, transfer, "
        "split, merge, recall, note, transfer_received, transfer_refused, transfer_voided",
        "type",
    )


@pytest.mark.parametrize(
    ("type_", "endpoint"),
    [
        ("transfer", "POST /api/v1/lots/{code}/transfer"),
        ("transfer_received", "POST /api/v1/lots/{code}/receive"),
        ("transfer_refused", "POST /api/v1/lots/{code}/refuse"),
        ("transfer_voided", "POST /api/v1/lots/{code}/cancel-shipment"),
        ("harvest", "POST /api/v1/lots"),
    ],
)
def test_types_that_change_the_lot_must_use_their_own_endpoint(
    lot: Actors, type_: str, endpoint: str
) -> None:
    response = post_event(lot, event(type_, {}))
    assert response.status_code == 422
    assert response.json() == invalid(
        "Loại sự kiện này có điểm cuối riêng / this event type has its own endpoint: " + endpoint,
        "type",
    )


def _from_now(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def test_event_times_ahead_by_more_than_the_skew_are_refused(lot: Actors) -> None:
    late = post_event(lot, {"type": "note", "occurred_at": _from_now(10), "data": {"text": "x"}})
    assert late.status_code == 422
    assert late.json() == invalid(FUTURE, "occurred_at")
    close = post_event(lot, {"type": "note", "occurred_at": _from_now(2), "data": {"text": "x"}})
    assert close.status_code == 201


def test_naive_event_times_are_refused(lot: Actors) -> None:
    body = {"type": "note", "occurred_at": "2026-04-20T08:00:00", "data": {"text": "x"}}
    response = post_event(lot, body)
    assert response.status_code == 422
    assert response.json() == invalid(NAIVE, "occurred_at")


def test_event_times_are_stored_as_whole_seconds_in_utc(lot: Actors) -> None:
    body = {
        "type": "note",
        "occurred_at": "2026-04-20T08:00:00.987654+07:00",
        "data": {"text": "x"},
    }
    assert post_event(lot, body).status_code == 201
    assert stored_events(lot)[0]["occurred_at"] == "2026-04-20T01:00:00Z"


def test_events_come_back_in_time_order(lot: Actors) -> None:
    for day in (25, 10, 18):
        body = {"type": "note", "occurred_at": f"2026-04-{day}T08:00:00Z", "data": {"text": "x"}}
        assert post_event(lot, body).status_code == 201
    times = [e["occurred_at"] for e in stored_events(lot)]
    assert times == sorted(times)
    assert len(times) == 4


def test_only_the_custodian_records_events(lot: Actors) -> None:
    response = post_event(lot, event("note", {"text": "x"}), who="dg")
    assert response.status_code == 403
    assert response.json() == error(NOT_CUSTODIAN, "permission_denied")


def test_events_on_an_unknown_lot_are_404(lot: Actors) -> None:
    response = post_event(lot, event("note", {"text": "x"}), code="NOPE")
    assert response.status_code == 404
    assert response.json() == error(UNKNOWN_LOT, "not_found")


@pytest.mark.parametrize(
    "raw", [b"{not json", b"[1, 2]", b'{"type": "note"', b"\xff\xfe", b'"text"']
)
def test_malformed_bodies_get_422_json_never_500(lot: Actors, raw: bytes) -> None:
    response = lot.client.post(
        f"/api/v1/lots/{LOT}/events",
        content=raw,
        headers={**lot.headers["htx"], "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


def test_authentication_comes_before_the_body_and_the_idempotency_key(lot: Actors) -> None:
    """Adding an event parses its own body in one thread hop; the order of checks is kept:
    no valid key is a 401 whatever else is wrong, then the Idempotency-Key, then the body."""
    bad_body_and_key = {"Content-Type": "application/json", "Idempotency-Key": "has space"}
    for auth in ({}, {"Authorization": "Bearer stk_not_a_real_key"}):
        response = lot.client.post(
            f"/api/v1/lots/{LOT}/events", content=b"{not json", headers={**auth, **bad_body_and_key}
        )
        assert response.status_code == 401
    response = lot.client.post(
        f"/api/v1/lots/{LOT}/events",
        content=b"{not json",
        headers={**lot.headers["htx"], **bad_body_and_key},
    )
    assert response.status_code == 422
    assert response.json()["field"] == "Idempotency-Key"


def test_a_replayed_event_is_recorded_once(lot: Actors) -> None:
    headers = {**lot.headers["htx"], "Idempotency-Key": "note-2026-04-20-1"}
    body = event("note", {"text": "Trái đẹp"})
    first = lot.client.post(f"/api/v1/lots/{LOT}/events", json=body, headers=headers)
    again = lot.client.post(f"/api/v1/lots/{LOT}/events", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert sorted(e["type"] for e in stored_events(lot)) == ["harvest", "note"]
