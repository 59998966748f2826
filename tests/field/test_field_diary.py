"""The field app's input form writes to the farm's season diary, not to a lot: the operator
session reaches ``POST /api/v1/farms/{code}/inputs`` with its CSRF header (as it reaches the
batch endpoint), an entry sent twice with its id as key is stored once, and a refused value
reads as the phone was told; post-harvest treatments stay events of a lot."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.models import FarmDiaryEntry
from backend.runtime import Runtime
from backend.services.field.rules import field_rules
from tests.field.test_field_api import ago, events_of, post_items, rule, signed_in
from tests.operator.conftest import Cast

DIARY = "/api/v1/farms/MX-01/inputs"


def spray(**overrides: Any) -> dict[str, Any]:
    """What the phone posts for the diary form: the item's data, its time as ``applied_at``."""
    return {
        "product": "Anvil 5SC",
        "active_ingredient": "Hexaconazole",
        "dose": "1.5",
        "unit": "ml/l",
        "pre_harvest_interval_days": 7,
        "operator": "Nguyễn Văn Tư",
        "applied_at": ago(30 * 24),
        **overrides,
    }


def post_diary(client: TestClient, token: str | None, body: Any, **headers: str) -> Any:
    sent = {"Accept": "application/json", **headers}
    if token is not None:
        sent["X-CSRF-Token"] = token
    return client.post(DIARY, json=body, headers=sent)


def diary(runtime: Runtime) -> list[FarmDiaryEntry]:
    with Session(runtime.engine) as session:
        return list(session.exec(select(FarmDiaryEntry)).all())


def test_the_input_form_names_a_farm_and_the_diary_members(cast: Cast) -> None:
    form = field_rules()["forms"]["input_application"]
    assert form["target"] == "farm_diary" and form["type"] == "input_application"
    names = [(f["name"], f["path"]) for f in form["fields"]]
    assert names[0] == ("farm", "farm") and ("occurred_at", "applied_at") in names
    assert ("operator", "operator") in names and all(
        f.get("member") != "lot" for f in form["fields"]
    )
    treatment = field_rules()["forms"]["treatment"]
    assert treatment["fields"][0]["name"] == "lot"  # post-harvest: on a lot, as before


def test_an_input_sent_with_the_session_lands_in_the_farm_diary_once(
    client_factory: Any, cast: Cast, runtime: Runtime
) -> None:
    client, token = signed_in(client_factory, cast.coop)
    refused = post_diary(client, None, spray())
    assert refused.status_code == 403 and refused.json()["field"] == "X-CSRF-Token"
    key = {"Idempotency-Key": "6f1f6a51-55d5-4c65-9a0c-9f3c1c7f2c11"}
    first = post_diary(client, token, spray(), **key)
    assert first.status_code == 201, first.text
    entry = first.json()
    assert entry["farm"] == "MX-01" and entry["type"] == "input_application"
    assert entry["signature"] and entry["document"]["org"] == "htx-xoai-my-xuong"
    assert set(entry["document"]["data"]["operator"]) == {"commitment"}
    again = post_diary(client, token, spray(), **key)
    assert again.status_code == 201 and again.json()["id"] == entry["id"]
    assert len(diary(runtime)) == 1
    assert [e.type.value for e in events_of(runtime, cast.lot_code)] == ["harvest"]  # no lot


@pytest.mark.parametrize(
    ("name", "value", "check"),
    [
        ("pre_harvest_interval_days", 99999, "range"),
        ("dose", "1,5", "not_decimal"),
        ("operator", "", "empty"),
    ],
)
def test_a_refused_diary_input_reads_as_the_phone_was_told(
    client_factory: Any, cast: Cast, name: str, value: Any, check: str
) -> None:
    client, token = signed_in(client_factory, cast.coop)
    response = post_diary(client, token, spray(**{name: value}))
    assert response.status_code == 422, response.text
    spec = rule("input_application", name)
    assert response.json()["detail"] == spec["messages"][check]
    assert response.json()["field"] == spec["path"]


def test_a_post_harvest_treatment_is_still_an_event_of_its_lot(
    client_factory: Any, cast: Cast, runtime: Runtime
) -> None:
    client, token = signed_in(client_factory, cast.coop)
    data = {"product": "Sáp Citrashine", "active_ingredient": "Carnauba", "dose": "2",
            "unit": "ml/kg", "pre_harvest_interval_days": 0}  # fmt: skip
    item = {"type": "input_application", "lot": cast.lot_code, "occurred_at": ago(1), "data": data}
    response = post_items(client, token, [item])
    assert response.status_code == 201, response.text
    assert [e.type.value for e in events_of(runtime, cast.lot_code)][-1] == "input_application"
    assert rule("treatment", "dose")["path"] == "data.dose"
