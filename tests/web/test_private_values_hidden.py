"""Under rules v2 no public surface shows a private value: not the consumer page (HTML or
JSON), the lot record, its verification or its proof bundle. Exact points of the farm and of an
event, and a note marked private, appear there only as commitments, or not at all."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.runtime import Runtime
from tests.support.app import ADMIN, Actors, harvest_body
from tests.support.bodies import A_HASH
from tests.support.ledger_flow import anchor_everything

LOT = "LO-KIN-PUB"
SECRET_NOTE = "Gọi anh Tư 0912 345 678"
#: Each private value: the farm's point, the event's point as sent and as stored, the note and
#: a part of it. (Nothing that hex could spell: a hash may contain "0912" by chance.)
SECRETS = ("10.4521", "105.6331", "10.4600", "105.6400", "10.46", "105.64", SECRET_NOTE, "345 678")


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"event_schema": 2, "rate_limit_per_minute": 0}


@pytest.fixture
def runtime(chain_runtime: Runtime) -> Runtime:
    return chain_runtime


@pytest.fixture
def recorded(runtime: Runtime, supply_chain: Actors) -> str:
    """A lot on a farm with a GPS point, and a note with its own point and a private member,
    all anchored; returns the note's event id."""
    farm = {"code": "F-GPS", "name": "Vườn xoài", "commune": "Mỹ Xương", "lat": "10.4521",
            "lon": "105.6331"}  # fmt: skip
    supply_chain.post("/api/v1/farms", "htx", farm)
    supply_chain.post("/api/v1/lots", "htx", harvest_body(code=LOT, farm="F-GPS"))
    body = {
        "type": "note",
        "occurred_at": "2026-05-02T08:00:00Z",
        "location": {"lat": "10.4600", "lon": "105.6400", "commune": "Mỹ Xương"},
        "data": {"text": "Tỉa cành sau thu hoạch", "note": SECRET_NOTE},
        "private": ["note"],
    }
    event_id = str(supply_chain.post(f"/api/v1/lots/{LOT}/events", "htx", body)["id"])
    anchor_everything(runtime)
    return event_id


def public_answers(client: TestClient) -> dict[str, str]:
    """Every public surface of the lot, by name, as the text a visitor or a script receives."""
    surfaces = {
        "page vi": client.get(f"/l/{LOT}", params={"lang": "vi"}),
        "page en": client.get(f"/l/{LOT}", params={"lang": "en"}),
        "page json": client.get(f"/l/{LOT}", headers={"Accept": "application/json"}),
        "lot": client.get(f"/api/v1/lots/{LOT}"),
        "lot, as the regulator reads it": client.get(f"/api/v1/lots/{LOT}", headers=ADMIN),
        "verification": client.get(f"/api/v1/lots/{LOT}/verification"),
        "proof": client.get(f"/api/v1/lots/{LOT}/proof"),
    }
    for name, response in surfaces.items():
        assert response.status_code == 200, (name, response.text)
    return {name: response.text for name, response in surfaces.items()}


def leaks(text: str, secret: str) -> bool:
    """Whether ``secret`` appears as text, JSON-escaped or hex-encoded (canonical bytes)."""
    escaped = secret.encode("ascii", "backslashreplace").decode().replace("\\x", "\\u00")
    return any(form in text for form in (secret, escaped, secret.encode().hex()))


def test_no_public_surface_shows_a_private_value(client: TestClient, recorded: str) -> None:
    answers = public_answers(client)
    assert "Tỉa cành sau thu hoạch" in answers["page vi"]  # the public text is shown
    found = [(name, s) for name, text in answers.items() for s in SECRETS if leaks(text, s)]
    assert found == []


def test_the_lot_record_and_the_proof_show_commitments_in_their_place(
    client: TestClient, recorded: str
) -> None:
    lot = client.get(f"/api/v1/lots/{LOT}", headers=ADMIN).json()
    harvest, note = lot["events"]
    assert lot["farm"]["commune"] == "Mỹ Xương"
    assert harvest["location"] == {"point": {"commitment": A_HASH}}
    assert note["location"] == {"commune": "Mỹ Xương", "point": {"commitment": A_HASH}}
    assert note["data"] == {"text": "Tỉa cành sau thu hoạch", "note": {"commitment": A_HASH}}
    proof = client.get(f"/api/v1/lots/{LOT}/proof").json()
    [proven] = [e for e in proof["events"] if e["id"] == recorded]
    assert proven["document"]["data"]["note"] == note["data"]["note"]
