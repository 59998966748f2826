"""GTINs belong to the holder of their GS1 company prefix, against a real ``sentrace serve``.

The admin registers prefix 8930000 to packer ``brand``. ``brand`` may then register a product
with a GTIN under it; cooperative ``squatter`` may not (403 naming the prefix), nor register a
GTIN under a prefix nobody holds here (403 naming the company prefix ``biip`` reads); a product
without a GTIN is anyone's who may register products. The consumer page names the brand owner
as the lot's checked documents name it.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session

from backend.db import make_engine
from backend.models import Product
from qr.gtin import vietnam_gtin
from tests.support.app import ADMIN
from tests.support.bodies import error
from tests.support.server import ServerProcess, server_env

PREFIX = "8930000"
LICENCE = "GS1 Việt Nam, giấy chứng nhận số 123/2026"


class World:
    def __init__(self, http: httpx.Client, database: Path) -> None:
        self.http = http
        self.database = database
        self.keys: dict[str, dict[str, str]] = {"admin": ADMIN}

    def call(self, path: str, who: str, body: dict[str, Any]) -> httpx.Response:
        return self.http.post(path, json=body, headers=self.keys[who])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("gs1")
    env = server_env(root / "data", chain_rpc_url="memory", worker_enabled=False)
    server = ServerProcess(env=env, log_path=root / "server.log").start()
    try:
        with server.client() as http:
            built = World(http, root / "data" / "sentrace.db")
            for slug, role in (("brand", "packer"), ("squatter", "cooperative")):
                body = {"slug": slug, "name": f"Công ty {slug}", "role": role}
                made = built.call("/api/v1/orgs", "admin", {**body, "key_custody": "custodial"})
                assert made.status_code == 201, made.text
                built.keys[slug] = {"Authorization": f"Bearer {made.json()['api_key']}"}
            registered = built.call(
                "/api/v1/orgs/brand/gs1-prefixes", "admin", {"prefix": PREFIX, "licence": LICENCE}
            )
            assert registered.status_code == 201, registered.text
            yield built
    finally:
        server.stop()


def test_the_admin_registers_a_prefix_and_lists_it(world: World) -> None:
    listed = world.http.get("/api/v1/orgs/brand/gs1-prefixes", headers=ADMIN)
    assert listed.status_code == 200
    [row] = listed.json()
    assert (row["org"], row["prefix"], row["licence"]) == ("brand", PREFIX, LICENCE)


def test_only_the_admin_registers_prefixes(world: World) -> None:
    body = {"prefix": "8931111", "licence": "tự khai"}
    for who in ("brand", "squatter"):
        refused = world.call(f"/api/v1/orgs/{who}/gs1-prefixes", who, body)
        assert refused.status_code == 403, refused.text
    anonymous = world.http.post("/api/v1/orgs/brand/gs1-prefixes", json=body)
    assert anonymous.status_code == 401


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"prefix": "89ab", "licence": "x"}, 422, "prefix"),
        ({"prefix": "2000000", "licence": "x"}, 422, "prefix"),  # restricted circulation
        ({"prefix": "8931234", "licence": "  "}, 422, "licence"),
        ({"prefix": "89300001", "licence": "x"}, 409, "prefix"),  # inside 8930000
        ({"prefix": "893000", "licence": "x"}, 409, "prefix"),  # 8930000 is inside it
    ],
)
def test_bad_or_overlapping_prefixes_are_refused_naming_the_field(
    world: World, body: dict[str, str], status: int, field: str
) -> None:
    refused = world.call("/api/v1/orgs/squatter/gs1-prefixes", "admin", body)
    assert refused.status_code == status, refused.text
    assert refused.json()["field"] == field
    if status == 409:
        assert PREFIX in refused.json()["detail"]


def test_the_prefix_holder_registers_a_product_with_its_gtin(world: World) -> None:
    body = {"code": "xoai-brand", "name_vi": "Xoài cát Chu", "gtin": vietnam_gtin(PREFIX, 1)}
    made = world.call("/api/v1/products", "brand", body)
    assert made.status_code == 201, made.text
    assert made.json()["gtin"] == vietnam_gtin(PREFIX, 1)


def test_a_gtin_with_someone_elses_prefix_is_refused_naming_the_prefix(world: World) -> None:
    body = {"code": "xoai-gia", "name_vi": "Xoài giả", "gtin": vietnam_gtin(PREFIX, 2)}
    refused = world.call("/api/v1/products", "squatter", body)
    assert refused.status_code == 403
    assert refused.json() == error(
        "GTIN mang tiền tố doanh nghiệp 8930000 của tổ chức khác / the GTIN carries company "
        "prefix 8930000, which belongs to another organisation",
        "permission_denied",
        "gtin",
    )


def test_a_gtin_under_an_unregistered_prefix_is_refused_naming_it(world: World) -> None:
    body = {"code": "xoai-khac", "name_vi": "Xoài", "gtin": vietnam_gtin("8936000", 5)}
    refused = world.call("/api/v1/products", "squatter", body)
    assert refused.status_code == 403
    detail = refused.json()["detail"]
    assert "893600000" in detail  # the company prefix biip reads from GS1's length table
    assert refused.json()["field"] == "gtin"


def test_a_product_without_a_gtin_belongs_to_its_creator(world: World) -> None:
    made = world.call("/api/v1/products", "squatter", {"code": "sen", "name_vi": "Hạt sen"})
    assert made.status_code == 201, made.text


def test_the_consumer_page_names_the_brand_owner_only_as_a_checked_document_does(
    world: World,
) -> None:
    """``brand`` holds the prefix but signs nothing in this lot's line, so the page says the
    prefix is registered without naming its holder: an organisation's name on a rules-v2 page
    is the one a checked document states (tests/security/test_brand_owner_name.py)."""
    world.keys["coop"] = world.keys["squatter"]
    farm = {"code": "F-01", "name": "Vườn", "commune": "Mỹ Xương"}
    assert world.call("/api/v1/farms", "coop", farm).status_code == 201
    harvest = {
        "product": "xoai-brand",
        "farm": "F-01",
        "quantity": "10",
        "unit": "kg",
        "harvested_at": "2026-05-01T06:30:00+07:00",
    }
    lot = world.call("/api/v1/lots", "coop", harvest)
    assert lot.status_code == 201, lot.text
    code = lot.json()["code"]
    page = html.unescape(world.http.get(f"/l/{code}").text)
    assert "Chủ thương hiệu" in page and "Công ty brand" not in page
    assert "tiền tố GS1 đã được đăng ký" in page
    assert world.http.get(f"/api/v1/lots/{code}").json()["brand_owner"] is None


def test_a_product_registered_before_the_register_keeps_working_and_gets_its_owner_later(
    world: World,
) -> None:
    """A GTIN product from before prefixes were registered (written as the old code did: no
    owner) still takes lots; its page says the brand owner is not confirmed until the admin
    registers its prefix, then names the holder (here the cooperative that recorded the lot,
    as its harvest document states its name). Nothing about the product is deleted."""
    legacy_prefix = "8930001"
    engine = make_engine(f"sqlite:///{world.database}")
    with Session(engine) as session:
        gtin = vietnam_gtin(legacy_prefix, 7)
        session.add(Product(code="buoi-cu", name_vi="Bưởi Năm Roi", gtin=gtin.zfill(14)))
        session.commit()
    engine.dispose()
    world.keys.setdefault("coop", world.keys["squatter"])
    farm = {"code": "F-02", "name": "Vườn bưởi", "commune": "Mỹ Xương"}
    assert world.call("/api/v1/farms", "coop", farm).status_code == 201
    harvest = {"product": "buoi-cu", "farm": "F-02", "quantity": "5", "unit": "kg"}
    lot = world.call(
        "/api/v1/lots", "coop", {**harvest, "harvested_at": "2026-05-02T06:00:00+07:00"}
    )
    assert lot.status_code == 201, lot.text
    code = lot.json()["code"]
    before = html.unescape(world.http.get(f"/l/{code}").text)
    assert "chưa xác nhận: tiền tố GS1 của mã này chưa được đăng ký" in before
    assert world.http.get(f"/api/v1/lots/{code}").json()["brand_owner"] is None

    body = {"prefix": legacy_prefix, "licence": LICENCE}
    assert world.call("/api/v1/orgs/squatter/gs1-prefixes", "admin", body).status_code == 201
    after = html.unescape(world.http.get(f"/l/{code}").text)
    assert "Chủ thương hiệu" in after and "Công ty squatter" in after
    assert world.http.get(f"/api/v1/lots/{code}").json()["brand_owner"] == "Công ty squatter"
