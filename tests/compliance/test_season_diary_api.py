"""The season diary through the API: inputs logged on a farm, proven in the harvest lot.

An input application is recorded on a farm before any lot exists; the harvest lot's first event
repeats the farm's diary since its previous harvest, so what a page shows as "what was used"
comes from the lot's proven document (docs/proof-rules.md section 13).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from backend.hashing import canonical_bytes, check_commitment, event_hash, from_hex, to_hex
from backend.hashing.diary import DIARY_SCHEMA
from tests.support.app import Actors, harvest_body
from tests.support.bodies import (
    A_HASH,
    A_UUID,
    NOT_FARM_OWNER,
    WRONG_ROLE,
    error,
    invalid,
)

UNKNOWN_FARM = "Không tìm thấy vùng trồng / farm not found"


def spray(**overrides: Any) -> dict[str, Any]:
    """A valid ``POST /farms/F-01/inputs`` body: applied well before the default harvest."""
    return {
        "product": "Anvil 5SC",
        "active_ingredient": "Hexaconazole",
        "registration_number": "VN-1234/BVTV",
        "batch_number": "B2604-17",
        "dose": "0.5",
        "unit": "l/ha",
        "pre_harvest_interval_days": 7,
        "operator": "Nguyễn Văn Tư",
        "applied_at": "2026-04-20T07:00:00+07:00",
        **overrides,
    }


def test_an_input_is_recorded_on_the_farm_as_a_signed_chained_document(
    supply_chain: Actors,
) -> None:
    first = supply_chain.post("/api/v1/farms/F-01/inputs", "htx", spray())
    assert first["seq"] == 1 and first["type"] == "input_application"
    assert first["id"] == A_UUID and first["entry_hash"] == A_HASH
    assert first["signature"] is not None and first["signer"] is not None
    assert first["interval_ends_at"] == "2026-04-27T00:00:00Z"
    document = first["document"]
    assert document["schema"] == DIARY_SCHEMA and document["prev"] is None
    assert document["farm"] == "F-01" and document["org"] == "htx"
    assert to_hex(event_hash(document)) == first["entry_hash"]
    operator = document["data"]["operator"]
    assert set(operator) == {"commitment"}  # a person's name is never in the clear
    assert "Nguyễn" not in json.dumps(first, ensure_ascii=False)

    second = supply_chain.post("/api/v1/farms/F-01/inputs", "htx", spray(batch_number=None))
    assert second["seq"] == 2 and second["document"]["prev"] == first["entry_hash"]
    assert "batch_number" not in second["document"]["data"]
    listed = supply_chain.client.get(
        "/api/v1/farms/F-01/inputs", headers=supply_chain.headers["ql"]
    ).json()
    assert [e["id"] for e in listed] == [first["id"], second["id"]]


def test_the_harvest_document_repeats_the_diary_since_the_previous_harvest(
    supply_chain: Actors,
) -> None:
    post = supply_chain.post
    early = post("/api/v1/farms/F-01/inputs", "htx", spray(applied_at="2026-03-01T07:00:00+07:00"))
    post("/api/v1/lots", "htx", harvest_body(code="L-MAR", harvested_at="2026-03-20T06:00:00Z"))
    late = post("/api/v1/farms/F-01/inputs", "htx", spray())
    post("/api/v1/lots", "htx", harvest_body(code="L-MAY"))

    record = supply_chain.client.get(
        "/api/v1/lots/L-MAY", headers=supply_chain.headers["htx"]
    ).json()
    [harvest] = [e for e in record["events"] if e["type"] == "harvest"]
    diary = harvest["data"]["season_diary"]
    assert [item["document"]["id"] for item in diary] == [late["id"]]
    assert diary[0]["signature"] == late["signature"]
    assert to_hex(event_hash(diary[0]["document"])) == late["entry_hash"]
    march = supply_chain.client.get(
        "/api/v1/lots/L-MAR", headers=supply_chain.headers["htx"]
    ).json()
    [first_harvest] = [e for e in march["events"] if e["type"] == "harvest"]
    assert [i["document"]["id"] for i in first_harvest["data"]["season_diary"]] == [early["id"]]


def test_a_harvest_without_inputs_keeps_its_document_as_before(supply_chain: Actors) -> None:
    supply_chain.post("/api/v1/lots", "htx", harvest_body(code="L-PLAIN"))
    record = supply_chain.client.get(
        "/api/v1/lots/L-PLAIN", headers=supply_chain.headers["htx"]
    ).json()
    [harvest] = [e for e in record["events"] if e["type"] == "harvest"]
    assert "season_diary" not in harvest["data"]


def test_a_harvest_may_not_write_the_season_diary_itself(supply_chain: Actors) -> None:
    body = harvest_body(data={"season_diary": []})
    response = supply_chain.client.post(
        "/api/v1/lots", json=body, headers=supply_chain.headers["htx"]
    )
    assert response.status_code == 422
    assert response.json() == invalid(
        "Trường do hệ thống ghi / field is set by the system", "data.season_diary"
    )


def test_the_operator_name_is_disclosed_by_its_commitment(
    supply_chain: Actors, runtime: Any
) -> None:
    entry = supply_chain.post("/api/v1/farms/F-01/inputs", "htx", spray())
    from sqlmodel import Session, select

    from backend.models import FarmDiaryEntry

    with Session(runtime.engine) as session:
        row = session.exec(select(FarmDiaryEntry)).one()
    opened = row.disclosures["data.operator"]
    assert opened["value"] == "Nguyễn Văn Tư"
    commitment = entry["document"]["data"]["operator"]
    assert check_commitment(opened["value"], from_hex(opened["salt"]), commitment)
    assert canonical_bytes(entry["document"]) == row.canonical


def test_only_the_owning_cooperative_logs_inputs(supply_chain: Actors) -> None:
    client = supply_chain.client
    other = client.post(
        "/api/v1/farms/F-01/inputs", json=spray(), headers=supply_chain.headers["htx2"]
    )
    assert other.status_code == 403 and other.json() == error(
        NOT_FARM_OWNER, "permission_denied", "farm"
    )
    packer = client.post(
        "/api/v1/farms/F-01/inputs", json=spray(), headers=supply_chain.headers["dg"]
    )
    assert packer.status_code == 403 and packer.json() == error(WRONG_ROLE, "permission_denied")
    unknown = client.post(
        "/api/v1/farms/F-99/inputs", json=spray(), headers=supply_chain.headers["htx"]
    )
    assert unknown.status_code == 404 and unknown.json() == error(UNKNOWN_FARM, "not_found")
    anonymous = client.post("/api/v1/farms/F-01/inputs", json=spray())
    assert anonymous.status_code == 401
    nosy = client.get("/api/v1/farms/F-01/inputs", headers=supply_chain.headers["htx2"])
    assert nosy.status_code == 403


@pytest.mark.parametrize(
    ("change", "field", "detail"),
    [
        ({"pre_harvest_interval_days": -1}, "pre_harvest_interval_days",
         "Phải từ 0 đến 3650 / must be between 0 and 3650"),
        ({"pre_harvest_interval_days": "7"}, "pre_harvest_interval_days",
         "Phải là số nguyên / must be an integer"),
        ({"dose": "0"}, "dose", "Phải lớn hơn 0 / must be greater than zero"),
        ({"operator": " "}, "operator", "Không được để trống / must not be empty"),
        ({"batch_number": "B 1"}, "batch_number",
         "Mã chỉ gồm chữ không dấu, số, '.', '_', '-' và dài tối đa 64 ký tự / "
         "code must be 1–64 of A–Z, a–z, 0–9, '.', '_', '-'"),
        ({"applied_at": "2026-04-20T07:00:00"}, "applied_at",
         "Thiếu múi giờ, ví dụ +07:00 hoặc Z / time-zone offset required, e.g. +07:00 or Z"),
    ],
)  # fmt: skip
def test_input_fields_are_validated(
    supply_chain: Actors, change: dict[str, Any], field: str, detail: str
) -> None:
    response = supply_chain.client.post(
        "/api/v1/farms/F-01/inputs", json=spray(**change), headers=supply_chain.headers["htx"]
    )
    assert response.status_code == 422
    assert response.json() == invalid(detail, field)
