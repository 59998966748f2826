"""Farms (cooperatives, owned by the caller) and products (GTIN checked, stored as GTIN-14)."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from tests.support.app import Actors
from tests.support.bodies import A_TIMESTAMP, CODE_RULE, WRONG_ROLE, error, invalid

BAD_GTIN = (
    "GTIN phải có 8, 12, 13 hoặc 14 chữ số với số kiểm tra đúng / "
    "GTIN must have 8, 12, 13 or 14 digits and a correct check digit"
)


CONTROL = "Chứa ký tự điều khiển / contains control characters"


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def test_a_cooperative_registers_a_farm_it_then_owns(actors: Actors) -> None:
    coop = actors.org("htx", "cooperative")
    body = {
        "code": "F-01",
        "name": nfd("Vườn xoài ông Tư"),
        "commune": nfd("Mỹ Xương"),
        "lat": 10.4567,
        "lon": "105.70",
        "area_ha": 1.25,
        "growing_area_code": "VN-DT-0123",
        "certifications": [
            {"scheme": "VietGAP", "number": "VG-01", "valid_from": "2026-01-01",
             "valid_until": "2028-12-31"},
        ],
    }  # fmt: skip
    response = actors.client.post("/api/v1/farms", json=body, headers=coop)
    assert response.status_code == 201
    assert response.json() == {
        "code": "F-01",
        "name": "Vườn xoài ông Tư",
        "commune": "Mỹ Xương",
        "province": "Đồng Tháp",
        "growing_area_code": "VN-DT-0123",
        "certifications": [
            {"scheme": "VietGAP", "number": "VG-01", "valid_from": "2026-01-01",
             "valid_until": "2028-12-31"},
        ],
        "owner": "htx",
        "lat": "10.4567",
        "lon": "105.7",
        "area_ha": "1.25",
        "created_at": A_TIMESTAMP,
    }  # fmt: skip
    assert unicodedata.is_normalized("NFC", response.json()["name"])
    listed = actors.client.get("/api/v1/farms", headers=coop)
    assert listed.status_code == 200
    assert [farm["code"] for farm in listed.json()] == ["F-01"]


def test_farm_listing_shows_only_the_callers_farms(supply_chain: Actors) -> None:
    other = supply_chain.client.get("/api/v1/farms", headers=supply_chain.headers["htx2"])
    assert other.status_code == 200
    assert other.json() == []


@pytest.mark.parametrize("role", ["packer", "regulator", "retailer"])
def test_only_cooperatives_register_farms(actors: Actors, role: str) -> None:
    headers = actors.org("someone", role)
    body = {"code": "F-02", "name": "Vườn", "commune": "Tân Thuận Đông"}
    response = actors.client.post("/api/v1/farms", json=body, headers=headers)
    assert response.status_code == 403
    assert response.json() == error(WRONG_ROLE, "permission_denied")


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"lat": 10.5}, invalid("Cần cả vĩ độ và kinh độ / give both lat and lon", "lat")),
        (
            {"lat": 91, "lon": 105},
            invalid("Phải trong khoảng −90 đến 90 / must be between -90 and 90", "lat"),
        ),
        ({"area_ha": 0}, invalid("Phải lớn hơn 0 / must be greater than zero", "area_ha")),
        ({"code": "F 01"}, invalid(CODE_RULE.format(n=64), "code")),
        ({"name": "Vườn\u0007"}, invalid(CONTROL, "name")),
        (
            {"certifications": [{"scheme": "ISO", "number": "1"}]},
            invalid(
                "Chứng nhận phải là / scheme must be one of: VietGAP, GlobalGAP, organic, other",
                "certifications[0].scheme",
            ),
        ),
        (
            {"certifications": [{"scheme": "organic", "number": "O-1",
                                 "valid_from": "2026-02-01", "valid_until": "2026-01-01"}]},
            invalid(
                "Ngày hết hạn trước ngày hiệu lực / valid_until is before valid_from",
                "certifications[0].valid_until",
            ),
        ),
    ],
)  # fmt: skip
def test_farm_fields_are_validated(
    actors: Actors, changes: dict[str, Any], expected: dict[str, Any]
) -> None:
    coop = actors.org("htx", "cooperative")
    body = {"code": "F-03", "name": "Vườn", "commune": "Mỹ Xương", **changes}
    response = actors.client.post("/api/v1/farms", json=body, headers=coop)
    assert response.status_code == 422
    assert response.json() == expected


def test_a_duplicate_farm_code_conflicts(supply_chain: Actors) -> None:
    body = {"code": "F-01", "name": "Vườn khác", "commune": "Mỹ Xương"}
    response = supply_chain.client.post(
        "/api/v1/farms", json=body, headers=supply_chain.headers["htx2"]
    )
    assert response.status_code == 409
    assert response.json() == error(
        "Mã vùng trồng đã tồn tại / farm code already exists", "conflict", "code"
    )


def test_unknown_fields_are_refused_by_name(actors: Actors) -> None:
    coop = actors.org("htx", "cooperative")
    body = {"code": "F-04", "name": "Vườn", "commune": "Mỹ Xương", "district": "Cao Lãnh"}
    response = actors.client.post("/api/v1/farms", json=body, headers=coop)
    assert response.status_code == 422
    assert response.json()["field"] == "district"
    assert response.json()["code"] == "invalid_input"


@pytest.mark.parametrize(
    ("gtin", "stored", "prefix"),
    [
        ("8934567890120", "08934567890120", "8934567"),  # GTIN-13, GS1 Vietnam prefix
        ("96385074", "00000096385074", "9638507"),  # GTIN-8: allocated whole
        ("036000291452", "00036000291452", "0036000"),  # GTIN-12 (UPC company prefix)
        ("10614141000415", "10614141000415", "0614141"),  # GTIN-14: after the indicator
    ],
)
def test_a_product_gtin_is_stored_as_gtin_14(
    actors: Actors, gtin: str, stored: str, prefix: str
) -> None:
    coop = actors.org("htx", "cooperative")
    actors.gs1_prefix("htx", prefix)
    body = {"code": "xoai", "name_vi": nfd("Xoài cát Hòa Lộc"), "name_en": "Mango", "gtin": gtin}
    response = actors.client.post("/api/v1/products", json=body, headers=coop)
    assert response.status_code == 201
    assert response.json() == {
        "code": "xoai",
        "name_vi": "Xoài cát Hòa Lộc",
        "name_en": "Mango",
        "gtin": stored,
    }


@pytest.mark.parametrize("gtin", ["8934567890123", "12345", "89345678901a", "", "２３４５６７８９"])
def test_a_malformed_gtin_is_refused(actors: Actors, gtin: str) -> None:
    coop = actors.org("htx", "cooperative")
    body = {"code": "xoai", "name_vi": "Xoài", "gtin": gtin}
    response = actors.client.post("/api/v1/products", json=body, headers=coop)
    assert response.status_code == 422
    assert response.json() == invalid(BAD_GTIN, "gtin")


def test_duplicate_product_code_and_gtin_conflict(actors: Actors) -> None:
    coop = actors.org("htx", "cooperative")
    actors.gs1_prefix("htx", "8934567")
    first = {"code": "xoai", "name_vi": "Xoài", "gtin": "8934567890120"}
    assert actors.client.post("/api/v1/products", json=first, headers=coop).status_code == 201
    same_code = actors.client.post(
        "/api/v1/products", json={"code": "xoai", "name_vi": "Khác"}, headers=coop
    )
    assert same_code.status_code == 409
    assert same_code.json() == error(
        "Mã sản phẩm đã tồn tại / product code already exists", "conflict", "code"
    )
    same_gtin = actors.client.post(
        "/api/v1/products",
        json={"code": "xoai-2", "name_vi": "Khác", "gtin": "08934567890120"},
        headers=coop,
    )
    assert same_gtin.status_code == 409
    assert same_gtin.json() == error(
        "GTIN đã được gán cho sản phẩm khác / GTIN already used by another product",
        "conflict",
        "gtin",
    )


@pytest.mark.parametrize(("role", "status"), [("packer", 201), ("regulator", 403)])
def test_packers_may_register_products_regulators_may_not(
    actors: Actors, role: str, status: int
) -> None:
    headers = actors.org("someone", role)
    response = actors.client.post(
        "/api/v1/products", json={"code": "sen", "name_vi": "Hạt sen"}, headers=headers
    )
    assert response.status_code == status
