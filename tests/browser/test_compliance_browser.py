"""The compliance rules as a consumer meets them, in headless Chromium on a phone screen.

A live server (in-process chain, anchored) holds: a farm sprayed two days ago, a harvest
refused by the interval gate then let through by a regulator's override, and a processed,
split lot. The phone page of the override lot lists what was used and the override, from its
verified document; the split child states each step's kg in → kg out.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from backend.app import create_app
from backend.http.signed_writes import chain_facts
from backend.services.signing import set_default_chain
from tests.compliance.test_season_diary_api import spray
from tests.support.app import OFFLINE_CHAIN, Actors, harvest_body
from tests.support.browser import new_phone_page
from tests.web.conftest import consumer_runtime
from tests.web.live import serving
from tests.web.scenario import anchor_everything

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser

REASON = "Mẫu dư lượng đạt (phiếu 128/QLCL-2026)"


@pytest.fixture(scope="module")
def compliance_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    runtime = consumer_runtime(tmp_path_factory.mktemp("compliance"), webhook_poll_s=0)
    set_default_chain(chain_facts(runtime))
    try:
        with TestClient(create_app(runtime)) as client:
            actors = Actors(client)
            actors.org("htx", "cooperative", "HTX Mỹ Xương")
            actors.org("ql", "regulator", "Chi cục QLCL Đồng Tháp")
            farm = {"code": "F-01", "name": "Vườn ông Tư", "commune": "Mỹ Xương"}
            actors.post("/api/v1/farms", "htx", farm)
            actors.post("/api/v1/products", "htx", {"code": "xoai", "name_vi": "Xoài cát Chu"})
            applied = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
            actors.post(
                "/api/v1/farms/F-01/inputs",
                "htx",
                spray(applied_at=applied.strftime("%Y-%m-%dT%H:%M:%SZ")),
            )
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            refused = client.post(
                "/api/v1/lots",
                json=harvest_body(code="L-OVR", harvested_at=now),
                headers=actors.headers["htx"],
            )
            assert refused.status_code == 422, refused.text
            actors.post("/api/v1/farms/F-01/phi-overrides", "ql", {"reason": REASON})
            actors.post("/api/v1/lots", "htx", harvest_body(code="L-OVR", harvested_at=now))
            actors.post(
                "/api/v1/lots", "htx", harvest_body(code="L-P", harvested_at="2026-05-01T06:00:00Z")
            )
            actors.post(
                "/api/v1/lots/L-P/events",
                "htx",
                {
                    "type": "processing",
                    "occurred_at": "2026-05-02T08:00:00+07:00",
                    "data": {"quantity_in": "1000", "quantity_out": "850", "loss": "150"},
                },
            )
            actors.post(
                "/api/v1/lots/L-P/split", "htx", {"children": [{"code": "L-P1", "quantity": "850"}]}
            )
        anchor_everything(runtime)
        with serving(runtime) as url:
            yield url
    finally:
        set_default_chain(OFFLINE_CHAIN)
        runtime.close()


def test_the_phone_page_shows_what_was_used_and_the_override(
    browser: Browser, compliance_server: str, tmp_path: Path
) -> None:
    page = new_phone_page(browser)
    try:
        page.goto(f"{compliance_server}/l/L-OVR")
        text = page.inner_text("body")
        page.screenshot(path=str(tmp_path / "override.png"), full_page=True)
    finally:
        page.context.close()
    assert "Anvil 5SC (hoạt chất Hexaconazole), liều 0.5 l/ha, cách ly 7 ngày" in text
    assert "Chi cục QLCL Đồng Tháp cho phép thu hoạch trước khi hết thời gian cách ly" in text
    assert REASON in text
    assert "Nguyễn Văn Tư" not in text


def test_the_phone_page_shows_kg_in_and_out_of_processing(
    browser: Browser, compliance_server: str
) -> None:
    page = new_phone_page(browser, locale="en-GB")
    try:
        page.goto(f"{compliance_server}/l/L-P1")
        text = page.inner_text("body")
    finally:
        page.context.close()
    assert "Processing: 1000 kg in → 850 kg out (declared loss 150 kg)" in text
