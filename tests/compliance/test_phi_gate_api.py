"""The pre-harvest interval gate through the API: refusals, a regulator's override, the hold.

Times are relative to now: an override waives the intervals running when it is recorded.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from backend.timeutil import in_vietnam
from tests.compliance.test_season_diary_api import spray
from tests.support.app import Actors, harvest_body
from tests.support.bodies import WRONG_ROLE, error, invalid


def _at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _shown(moment: datetime) -> str:
    return in_vietnam(moment).strftime("%Y-%m-%d %H:%M (UTC+7)")


@pytest.fixture
def sprayed(supply_chain: Actors) -> datetime:
    """F-01 sprayed two days ago with a 7-day interval; returns the application time."""
    applied = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    supply_chain.post("/api/v1/farms/F-01/inputs", "htx", spray(applied_at=_at(applied)))
    return applied


def refused_harvest(applied: datetime) -> dict[str, Any]:
    return invalid(
        "Chưa hết thời gian cách ly trước thu hoạch của Anvil 5SC "
        f"(phun lúc {_shown(applied)}): chỉ được thu hoạch từ {_shown(applied + timedelta(days=7))}"
        " / the pre-harvest interval of Anvil 5SC "
        f"(applied {_shown(applied)}) has not ended: harvest allowed from "
        f"{_shown(applied + timedelta(days=7))}",
        "harvested_at",
    )


def test_a_harvest_inside_the_interval_is_refused_naming_the_input(
    supply_chain: Actors, sprayed: datetime
) -> None:
    now = _at(datetime.now(UTC))
    response = supply_chain.client.post(
        "/api/v1/lots",
        json=harvest_body(code="L-EARLY", harvested_at=now),
        headers=supply_chain.headers["htx"],
    )
    assert response.status_code == 422
    assert response.json() == refused_harvest(sprayed)
    assert (
        supply_chain.client.get(
            "/api/v1/lots/L-EARLY", headers=supply_chain.headers["htx"]
        ).status_code
        == 404
    )


def test_a_harvest_after_the_interval_or_before_the_spray_passes(
    supply_chain: Actors, sprayed: datetime
) -> None:
    before = _at(sprayed - timedelta(hours=1))
    supply_chain.post("/api/v1/lots", "htx", harvest_body(code="L-BEFORE", harvested_at=before))
    record = supply_chain.client.get(
        "/api/v1/lots/L-BEFORE", headers=supply_chain.headers["htx"]
    ).json()
    [harvest] = [e for e in record["events"] if e["type"] == "harvest"]
    assert "season_diary" not in harvest["data"]  # the spray came after this harvest


def test_the_latest_application_of_any_input_counts(supply_chain: Actors) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    old = spray(
        product="Ridomil", pre_harvest_interval_days=3, applied_at=_at(now - timedelta(days=30))
    )
    supply_chain.post("/api/v1/farms/F-01/inputs", "htx", old)
    recent = spray(
        product="Ridomil", pre_harvest_interval_days=3, applied_at=_at(now - timedelta(days=1))
    )
    supply_chain.post("/api/v1/farms/F-01/inputs", "htx", recent)
    response = supply_chain.client.post(
        "/api/v1/lots",
        json=harvest_body(harvested_at=_at(now)),
        headers=supply_chain.headers["htx"],
    )
    assert response.status_code == 422
    assert "Ridomil" in response.json()["detail"]


def test_a_regulator_override_lets_one_harvest_through_and_holds_the_lot(
    supply_chain: Actors, sprayed: datetime
) -> None:
    client, headers = supply_chain.client, supply_chain.headers
    override = supply_chain.post(
        "/api/v1/farms/F-01/phi-overrides", "ql", {"reason": "Mẫu kiểm nghiệm dư lượng đạt"}
    )
    assert override["type"] == "phi_override" and override["document"]["org"] == "ql"
    assert override["signature"] is not None
    [waived] = override["document"]["data"]["waives"]
    assert waived["product"] == "Anvil 5SC"

    now = _at(datetime.now(UTC))
    supply_chain.post("/api/v1/lots", "htx", harvest_body(code="L-OVR", harvested_at=now))
    record = client.get("/api/v1/lots/L-OVR", headers=supply_chain.headers["htx"]).json()
    [harvest] = [e for e in record["events"] if e["type"] == "harvest"]
    types = [item["document"]["type"] for item in harvest["data"]["season_diary"]]
    assert types == ["input_application", "phi_override"]
    shown = harvest["data"]["season_diary"][1]["document"]["data"]["reason"]
    assert shown == "Mẫu kiểm nghiệm dư lượng đạt"

    again = client.post(
        "/api/v1/lots", json=harvest_body(code="L-OVR2", harvested_at=now), headers=headers["htx"]
    )
    assert again.status_code == 422  # the override is spent by one harvest
    assert again.json() == refused_harvest(sprayed)

    ends = _shown(sprayed + timedelta(days=7))
    packing = client.post(
        "/api/v1/lots/L-OVR/events",
        json={"type": "packing", "occurred_at": now, "data": {}},
        headers=headers["htx"],
    )
    assert packing.status_code == 422
    assert packing.json() == invalid(
        "Lô L-OVR được thu hoạch nhờ miễn trừ: chưa hết thời gian cách ly của Anvil 5SC "
        f"(phun lúc {_shown(sprayed)}), chỉ được đóng gói từ {ends} / lot L-OVR was harvested "
        "under an override: the pre-harvest interval of Anvil 5SC "
        f"(applied {_shown(sprayed)}) has not ended, packing allowed from {ends}",
        "type",
    )
    batch = client.post(
        "/api/v1/events/batch",
        json={"events": [{"lot": "L-OVR", "type": "packing", "occurred_at": now, "data": {}}]},
        headers=headers["htx"],
    )
    assert batch.status_code == 422 and batch.json()["field"] == "events[0].type"
    labels = client.post("/api/v1/lots/L-OVR/labels", json={"count": 1}, headers=headers["htx"])
    assert labels.status_code == 422
    assert labels.json() == invalid(
        "Lô L-OVR được thu hoạch nhờ miễn trừ: chưa hết thời gian cách ly của Anvil 5SC "
        f"(phun lúc {_shown(sprayed)}), chỉ được in tem từ {ends} / lot L-OVR was harvested "
        "under an override: the pre-harvest interval of Anvil 5SC "
        f"(applied {_shown(sprayed)}) has not ended, labels allowed from {ends}",
        None,  # type: ignore[arg-type]
    )
    note = client.post(
        "/api/v1/lots/L-OVR/events",
        json={"type": "note", "occurred_at": now, "data": {"text": "Chờ hết cách ly"}},
        headers=headers["htx"],
    )
    assert note.status_code == 201  # other observations go on
    supply_chain.post(
        "/api/v1/lots/L-OVR/split", "htx", {"children": [{"code": "L-OVR-A", "quantity": "400"}]}
    )
    child = client.post(
        "/api/v1/lots/L-OVR-A/events",
        json={"type": "packing", "occurred_at": now, "data": {}},
        headers=headers["htx"],
    )
    assert child.status_code == 422  # a split does not shed the hold
    assert "Anvil 5SC" in child.json()["detail"] and child.json()["field"] == "type"


def test_only_a_regulator_overrides_and_only_a_running_interval(supply_chain: Actors) -> None:
    client, headers = supply_chain.client, supply_chain.headers
    body = {"reason": "Kiểm tra đạt"}
    by_coop = client.post("/api/v1/farms/F-01/phi-overrides", json=body, headers=headers["htx"])
    assert by_coop.status_code == 403 and by_coop.json() == error(WRONG_ROLE, "permission_denied")
    nothing = client.post("/api/v1/farms/F-01/phi-overrides", json=body, headers=headers["ql"])
    assert nothing.status_code == 422
    assert nothing.json() == invalid(
        "Không có thời gian cách ly nào đang chạy trên vùng trồng này / "
        "no pre-harvest interval is running on this farm",
        "farm",
    )
    blank = client.post(
        "/api/v1/farms/F-01/phi-overrides", json={"reason": "  "}, headers=headers["ql"]
    )
    assert blank.status_code == 422
    assert blank.json() == invalid("Không được để trống / must not be empty", "reason")


def test_the_consumer_page_shows_what_was_used_and_the_override(
    supply_chain: Actors, sprayed: datetime
) -> None:
    supply_chain.post("/api/v1/farms/F-01/phi-overrides", "ql", {"reason": "Mẫu dư lượng đạt"})
    now = _at(datetime.now(UTC))
    supply_chain.post("/api/v1/lots", "htx", harvest_body(code="L-PAGE", harvested_at=now))
    day = in_vietnam(sprayed).strftime("%d/%m/%Y")
    page = supply_chain.client.get("/l/L-PAGE", params={"lang": "vi"}).text
    assert (
        f"Đã dùng ngày {day}: Anvil 5SC (hoạt chất Hexaconazole), liều 0.5 l/ha, cách ly 7 ngày"
        in page
    )
    assert "CHI CỤC QLCL cho phép thu hoạch trước khi hết thời gian cách ly" not in page
    assert "Chi cục QLCL cho phép thu hoạch trước khi hết thời gian cách ly. " in page
    assert "Lý do: Mẫu dư lượng đạt" in page
    assert "Nguyễn Văn Tư" not in page  # the operator stays private
    english = supply_chain.client.get("/l/L-PAGE", params={"lang": "en"}).text
    assert (
        "allowed harvest before the pre-harvest interval ended. Reason: Mẫu dư lượng đạt" in english
    )


def test_a_batch_packs_a_free_lot_but_refuses_a_held_one_named_by_its_own_item(
    supply_chain: Actors, sprayed: datetime
) -> None:
    """A batch walks each lot's holds once: a free lot packed twice, then a held lot."""
    client, headers = supply_chain.client, supply_chain.headers
    supply_chain.post("/api/v1/lots", "htx", harvest_body(code="L-FREE"))  # before the spray
    supply_chain.post(
        "/api/v1/farms/F-01/phi-overrides", "ql", {"reason": "Mẫu kiểm nghiệm dư lượng đạt"}
    )
    now = _at(datetime.now(UTC))
    supply_chain.post("/api/v1/lots", "htx", harvest_body(code="L-HELD", harvested_at=now))

    def pack(lot: str) -> dict[str, Any]:
        return {"lot": lot, "type": "packing", "occurred_at": now, "data": {}}

    items = [pack("L-FREE"), pack("L-FREE"), pack("L-HELD"), pack("L-HELD")]
    refused = client.post("/api/v1/events/batch", json={"events": items}, headers=headers["htx"])
    assert refused.status_code == 422
    assert refused.json()["field"] == "events[2].type" and "Anvil 5SC" in refused.json()["detail"]
    free = [pack("L-FREE"), pack("L-FREE")]
    packed = client.post("/api/v1/events/batch", json={"events": free}, headers=headers["htx"])
    assert packed.status_code == 201 and packed.json()["accepted"] == 2
