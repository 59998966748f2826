"""Growing-area codes through the API: the registry, membership, validity and mass balance."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from backend.models_areas import AreaClaimRefusal
from backend.runtime import Runtime
from tests.support.app import Actors, harvest_body
from tests.support.bodies import WRONG_ROLE, error, invalid

CODE = "VN-DT-XOAI-001"


def area_body(**overrides: Any) -> dict[str, Any]:
    return {
        "code": CODE,
        "holder": "htx",
        "area_ha": "1",
        "crop": "xoai",
        "markets": ["CN", "US"],
        "farms": ["F-A1"],
        "valid_from": "2026-01-01",
        "valid_until": "2028-12-31",
        **overrides,
    }


@pytest.fixture
def area(supply_chain: Actors) -> Actors:
    """Area VN-DT-XOAI-001 (1 ha of mango, cap 12 t a season) holding htx's farm F-A1."""
    farm = {"code": "F-A1", "name": "Vườn A1", "commune": "Mỹ Xương", "growing_area_code": CODE}
    supply_chain.post("/api/v1/farms", "htx", farm)
    supply_chain.post("/api/v1/growing-areas", "ql", area_body())
    return supply_chain


def harvest(actors: Actors, kg: str, who: str = "htx", farm: str = "F-A1", **extra: Any) -> Any:
    body = harvest_body(farm=farm, quantity=kg, **extra)
    return actors.client.post("/api/v1/lots", json=body, headers=actors.headers[who])


def balance(actors: Actors) -> dict[str, Any]:
    response = actors.client.get(
        f"/api/v1/growing-areas/{CODE}", params={"season": "2026"}, headers=actors.headers["ql"]
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_a_registered_area_shows_its_farms_and_balance(area: Actors) -> None:
    shown = balance(area)
    assert shown == {
        "code": CODE,
        "holder": "htx",
        "holder_name": "HTX Mỹ Xương",
        "area_ha": "1",
        "crop": "xoai",
        "markets": ["CN", "US"],
        "farms": ["F-A1"],
        "valid_from": "2026-01-01",
        "valid_until": "2028-12-31",
        "balance": {
            "season": "2026",
            "tonnes_per_ha": "12",
            "cap_kg": "12000",
            "harvested_kg": "0",
            "share_percent": "0.0",
            "status": "ok",
        },
        "cap_raises": [],
    }


def test_harvests_past_90_percent_warn_and_past_the_cap_are_refused(
    area: Actors, runtime: Runtime
) -> None:
    first = harvest(area, "9000")
    assert first.status_code == 201 and "warnings" not in first.json()
    second = harvest(area, "2000", unit="kg")
    assert second.status_code == 201
    assert second.json()["warnings"] == [
        f"Vùng trồng {CODE} mùa 2026 đã dùng 92% sản lượng tối đa / "
        f"growing area {CODE} has used 92% of its cap for season 2026"
    ]
    assert balance(area)["balance"]["status"] == "warn"
    over = harvest(area, "1.5", unit="t")
    assert over.status_code == 422
    assert over.json() == invalid(
        f"Vượt sản lượng tối đa của vùng trồng {CODE} mùa 2026: đã thu 11000 kg, lô này 1500 kg,"
        f" tối đa 12000 kg / over the cap of growing area {CODE} for season 2026: 11000 kg "
        "harvested, this lot 1500 kg, cap 12000 kg",
        "quantity",
    )
    raised = area.post(
        f"/api/v1/growing-areas/{CODE}/cap-raises",
        "ql",
        {"season": "2026", "kg": "2000", "reason": "Năng suất vụ này cao, đã kiểm tra tại vườn"},
    )
    assert raised["balance"]["cap_kg"] == "14000"
    assert raised["cap_raises"][0]["reason"] == "Năng suất vụ này cao, đã kiểm tra tại vườn"
    assert harvest(area, "1.5", unit="t").status_code == 201
    with Session(runtime.engine) as session:
        [refused] = session.exec(select(AreaClaimRefusal)).all()
    assert (refused.kind, refused.quantity_kg, refused.area_code) == ("over_cap", "1500", CODE)


def test_a_borrowed_code_is_refused_and_recorded(area: Actors, runtime: Runtime) -> None:
    borrowed = {"code": "F-B1", "name": "Vườn B", "commune": "Tân Thuận", "growing_area_code": CODE}
    area.post("/api/v1/farms", "htx2", borrowed)
    response = harvest(area, "500", who="htx2", farm="F-B1")
    assert response.status_code == 422
    assert response.json() == invalid(
        f"Vườn F-B1 không nằm trong vùng trồng {CODE}: chỉ các vườn đã đăng ký trong vùng mới "
        f"được dùng mã này / farm F-B1 is not inside growing area {CODE}: only farms registered "
        "in the area may use its code",
        "farm",
    )
    with Session(runtime.engine) as session:
        [refused] = session.exec(select(AreaClaimRefusal)).all()
    assert (refused.kind, refused.farm_code) == ("not_member", "F-B1")


def test_a_claim_outside_validity_of_another_crop_or_unit_is_refused(area: Actors) -> None:
    late = harvest(area, "10", harvested_at="2029-01-02T08:00:00+07:00")
    assert late.status_code == 422  # in the future as well as past validity: either refuses
    area.post("/api/v1/products", "htx", {"code": "nhan", "name_vi": "Nhãn"})
    other = harvest(area, "10", product="nhan")
    assert other.status_code == 422 and other.json() == invalid(
        f"Mã số vùng trồng {CODE} chỉ cấp cho cây trồng xoai / growing-area code {CODE} is "
        "granted for the crop xoai only",
        "product",
    )
    boxes = harvest(area, "10", unit="thùng")
    assert boxes.status_code == 422 and boxes.json() == invalid(
        "Lô dùng mã số vùng trồng phải tính bằng kg hoặc t / a lot under a growing-area code "
        "must be weighed in kg or t",
        "unit",
    )


def test_validity_dates_bound_the_code(supply_chain: Actors) -> None:
    farm = {"code": "F-A2", "name": "Vườn", "commune": "Mỹ Xương", "growing_area_code": "VN-OLD"}
    supply_chain.post("/api/v1/farms", "htx", farm)
    old = area_body(
        code="VN-OLD", farms=["F-A2"], valid_from="2024-01-01", valid_until="2025-12-31"
    )
    supply_chain.post("/api/v1/growing-areas", "ql", old)
    response = harvest(supply_chain, "10", farm="F-A2")
    assert response.status_code == 422 and response.json() == invalid(
        "Mã số vùng trồng VN-OLD không còn hiệu lực vào ngày thu hoạch / growing-area code "
        "VN-OLD is not valid on the harvest day",
        "harvested_at",
    )


def test_a_regulator_sets_a_crops_yield(area: Actors) -> None:
    client, headers = area.client, area.headers
    set_ = client.put("/api/v1/crop-yields/xoai", json={"tonnes_per_ha": 8}, headers=headers["ql"])
    assert set_.status_code == 200 and set_.json() == {"crop": "xoai", "tonnes_per_ha": "8"}
    assert balance(area)["balance"]["cap_kg"] == "8000"
    by_coop = client.put(
        "/api/v1/crop-yields/xoai", json={"tonnes_per_ha": 80}, headers=headers["htx"]
    )
    assert by_coop.status_code == 403 and by_coop.json() == error(WRONG_ROLE, "permission_denied")


def test_who_may_register_which_area(supply_chain: Actors) -> None:
    post, headers = supply_chain.client.post, supply_chain.headers
    farm = {"code": "F-A1", "name": "Vườn", "commune": "Mỹ Xương", "growing_area_code": CODE}
    supply_chain.post("/api/v1/farms", "htx", farm)
    for_other = post("/api/v1/growing-areas", json=area_body(), headers=headers["htx2"])
    assert for_other.status_code == 403 and for_other.json() == error(
        "Hợp tác xã chỉ đăng ký vùng trồng do chính mình giữ / a cooperative registers only "
        "the areas it holds",
        "permission_denied",
        "holder",
    )
    packer = post("/api/v1/growing-areas", json=area_body(), headers=headers["dg"])
    assert packer.status_code == 403 and packer.json() == error(WRONG_ROLE, "permission_denied")
    not_coop = post("/api/v1/growing-areas", json=area_body(holder="dg"), headers=headers["ql"])
    assert not_coop.status_code == 422 and not_coop.json() == invalid(
        "Tổ chức giữ mã phải là một hợp tác xã đã đăng ký / the holder must be a registered "
        "cooperative",
        "holder",
    )
    others_farm = post(
        "/api/v1/growing-areas", json=area_body(holder="htx2"), headers=headers["ql"]
    )
    assert others_farm.status_code == 422 and others_farm.json() == invalid(
        "Vườn này không thuộc tổ chức giữ mã / this farm does not belong to the holder",
        "farms[0]",
    )
    dates = post(
        "/api/v1/growing-areas", json=area_body(valid_until="2025-01-01"), headers=headers["ql"]
    )
    assert dates.status_code == 422 and dates.json()["field"] == "valid_until"
    own = post("/api/v1/growing-areas", json=area_body(), headers=headers["htx"])
    assert own.status_code == 201
    again = post("/api/v1/growing-areas", json=area_body(farms=[]), headers=headers["ql"])
    assert again.status_code == 409 and again.json() == error(
        "Mã số vùng trồng đã được đăng ký / growing-area code already registered",
        "conflict",
        "code",
    )
    taken = post("/api/v1/growing-areas", json=area_body(code="VN-2"), headers=headers["ql"])
    assert taken.status_code == 422 and taken.json() == invalid(
        "Vườn này đã thuộc một vùng trồng khác / this farm is already in another growing area",
        "farms[0]",
    )
    unknown = supply_chain.client.get("/api/v1/growing-areas/VN-X", headers=headers["ql"])
    assert unknown.status_code == 404 and unknown.json() == error(
        "Không tìm thấy mã số vùng trồng / growing area not found", "not_found"
    )
