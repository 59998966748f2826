"""The brand owner's name on a rules-v2 page comes from a checked document, never from a row.

The platform's GS1 prefix register says which organisation holds a GTIN's company prefix; the
name shown for it is the one the lot's checked documents state for that organisation (it signed
one of them). An organisation row renamed behind the application's back must not reach a
verified page or the public lot record, and a holder that signed nothing in the lot's line is
shown as registered but not named.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.runtime import Runtime
from tests.support.app import Actors, harvest_body
from tests.support.ledger_flow import anchor_everything, execute

GTIN_HTX = "08934567890120"  # under prefix 8934567, held by htx (who records the lot)
GTIN_DG = "08939999999984"  # under prefix 8939999, held by dg (who signs nothing here)
BRAND = re.compile(r'<dd class="brand-owner">(.*?)</dd>', re.S)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"event_schema": 2}


@pytest.fixture
def runtime(chain_runtime: Runtime) -> Runtime:
    return chain_runtime


@pytest.fixture
def lots(runtime: Runtime, supply_chain: Actors) -> Actors:
    supply_chain.gs1_prefix("htx", "8934567")
    supply_chain.post(
        "/api/v1/products", "htx", {"code": "xoai-chu", "name_vi": "Xoài cát Chu", "gtin": GTIN_HTX}
    )
    supply_chain.gs1_prefix("dg", "8939999")
    supply_chain.post(
        "/api/v1/products", "dg", {"code": "sen", "name_vi": "Sen Tháp Mười", "gtin": GTIN_DG}
    )
    supply_chain.post("/api/v1/lots", "htx", harvest_body(code="LO-HTX", product="xoai-chu"))
    supply_chain.post("/api/v1/lots", "htx", harvest_body(code="LO-DG", product="sen"))
    anchor_everything(runtime)
    return supply_chain


def brand_shown(client: TestClient, code: str) -> tuple[str, str]:
    page = client.get(f"/l/{code}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    verdict = re.search(r'id="verdict" data-verdict="(\w+)"', page.text)
    found = BRAND.search(page.text)
    assert verdict is not None and found is not None
    return verdict.group(1), html.unescape(found.group(1))


def test_a_renamed_organisation_row_does_not_rename_the_brand_owner(
    runtime: Runtime, client: TestClient, lots: Actors
) -> None:
    assert brand_shown(client, "LO-HTX") == ("verified", "HTX Mỹ Xương")
    execute(runtime.engine, "UPDATE organisation SET name = :name WHERE slug = 'htx'", name="GIẢ-9")

    verdict, shown = brand_shown(client, "LO-HTX")
    assert (verdict, shown) == ("verified", "HTX Mỹ Xương")
    record = client.get("/api/v1/lots/LO-HTX").json()
    assert record["brand_owner"] == "HTX Mỹ Xương"
    assert "GIẢ-9" not in client.get("/l/LO-HTX?lang=en", headers={"Accept": "text/html"}).text


def test_a_holder_no_checked_document_names_is_registered_but_unnamed(
    client: TestClient, lots: Actors
) -> None:
    verdict, shown = brand_shown(client, "LO-DG")
    assert verdict == "verified"
    assert "Đóng gói Sa Đéc" not in shown
    assert "tiền tố GS1 đã được đăng ký" in shown
    assert client.get("/api/v1/lots/LO-DG").json()["brand_owner"] is None
