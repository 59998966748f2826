"""A lot's whole journey through the operator app in Chromium, checked from a consumer's phone.

A cooperative signs in, creates a harvest lot, logs a spray (after a field error that keeps what
was typed) and hands the lot to a packer; the packer packs it, splits it and prints a PDF label
sheet; the test decodes a QR code from that PDF, waits for the anchoring worker (real anvil),
opens the code as a consumer and sees the lot verified; a regulator recalls the lot and the
consumer page then shows the recall. Every step leaves a screenshot under the test's tmp_path.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pypdfium2 as pdfium
import pytest
import uvicorn
import zxingcpp

from backend.app import create_app
from backend.chain.anvil import ManagedAnvil
from backend.config import DEMO_ANCHOR_PRIVATE_KEY, Settings
from backend.db import session_scope
from backend.runtime import Runtime
from backend.services.accounts.orgs import create_organisation
from backend.services.accounts.users import create_user
from backend.services.catalog.farms import create_farm
from backend.services.catalog.gs1_prefixes import register_prefix
from backend.services.catalog.products import create_product
from qr.gtin import vietnam_gtin
from tests.support.browser import new_phone_page, patient

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.anvil, pytest.mark.slow]

PASSWORD = "mat-khau-dong-thap"
LOT = "XOAI-B01"
CHILD = "XOAI-B01-1"
RECALL_REASON = "Dư lượng Carbendazim vượt ngưỡng (mẫu 17/2026)"
DESKTOP = {"width": 1280, "height": 900}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path, anvil_node: ManagedAnvil) -> Iterator[str]:
    """The real app with its anchoring worker on anvil, served by uvicorn on a free port."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(
        data_dir=tmp_path / "data",
        chain_rpc_url=anvil_node.url,
        anchor_private_key=DEMO_ANCHOR_PRIVATE_KEY,
        public_base_url=base,
        batch_max_delay_s=1.0,
        worker_poll_s=0.5,
        worker_enabled=True,
    )
    runtime = Runtime.start(settings)
    _seed(runtime)
    app_server = uvicorn.Server(
        uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=app_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not app_server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield base
    finally:
        app_server.should_exit = True
        thread.join(timeout=15)
        runtime.close()


def _seed(runtime: Runtime) -> None:
    """Organisations and their people, a farm and a product (the admin's part of the story)."""
    with session_scope(runtime.engine) as session:
        # Custodial: the server signs their events, no key needs setting up in the browser.
        custodial = {"key_custody": "custodial", "settings": runtime.settings}
        coop, _ = create_organisation(
            session,
            slug="htx-xoai-my-xuong",
            name="HTX Xoài cát Chu Mỹ Xương",
            role="cooperative",
            **custodial,
        )
        create_organisation(
            session, slug="sadec-pack", name="Đóng gói Sa Đéc", role="packer", **custodial
        )
        create_organisation(
            session, slug="chi-cuc", name="Chi cục QLCL Đồng Tháp", role="regulator", **custodial
        )
        for username, slug in (
            ("xoai", "htx-xoai-my-xuong"),
            ("donggoi", "sadec-pack"),
            ("chicuc", "chi-cuc"),
        ):
            create_user(session, org_slug=slug, username=username, password=PASSWORD)
        create_farm(
            session,
            org=coop,
            code="MX-01",
            name="Vườn xoài tổ hợp tác số 3",
            commune="Mỹ Xương",
            growing_area_code="VN-DTCL-0103",
        )
        register_prefix(session, org=coop, prefix="8936091", licence="GS1 Việt Nam 0001")
        create_product(
            session,
            org=coop,
            code="xoai-cat-chu",
            name_vi="Xoài cát Chu",
            name_en="Cat Chu mango",
            gtin=vietnam_gtin("8936091", 1),
        )


class Shots:
    """Numbered full-page screenshots, one per step."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def take(self, page: Page, name: str) -> None:
        self.count += 1
        page.screenshot(path=str(self.folder / f"{self.count:02d}-{name}.png"), full_page=True)


def _operator_page(browser: Browser) -> Page:
    return patient(browser.new_context(viewport=DESKTOP, locale="vi-VN")).new_page()


def _sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/app/")
    assert "/app/login" in page.url
    page.fill("#f-username", username)
    page.fill("#f-password", PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{base}/app/")


def _decode_pdf(path: Path) -> list[str]:
    document = pdfium.PdfDocument(path.read_bytes())
    try:
        image = document[0].render(scale=300 / 72, grayscale=True).to_pil()
    finally:
        document.close()
    return [r.text for r in zxingcpp.read_barcodes(image) if r.valid]


def _wait_for_verdict(base: str, code: str, wanted: str) -> dict[str, object]:
    """Poll the public verification until the anchoring worker has done its job."""
    deadline = time.monotonic() + 90
    while True:
        body = httpx.get(f"{base}/api/v1/lots/{code}/verification", timeout=10).json()
        if body["verdict"] == wanted or time.monotonic() > deadline:
            return body
        time.sleep(0.5)


def test_lot_journey_through_the_operator_app(
    browser: Browser,
    server: str,
    tmp_path: Path,
) -> None:
    shots = Shots(tmp_path / "screenshots")
    base = server

    # --- the cooperative -------------------------------------------------------------------
    coop = _operator_page(browser)
    coop.goto(f"{base}/app/login")
    shots.take(coop, "sign-in")
    _sign_in(coop, base, "xoai")
    shots.take(coop, "cooperative-dashboard")
    coop.goto(f"{base}/app/lots/new")
    coop.select_option("#f-product", "xoai-cat-chu")
    coop.select_option("#f-farm", "MX-01")
    coop.fill("#f-quantity", "1200")
    coop.fill("#f-code", LOT)
    shots.take(coop, "harvest-form")
    coop.get_by_role("button", name="Tạo lô").click()
    coop.wait_for_url(f"{base}/app/lots/{LOT}?ok=lot_created")
    shots.take(coop, "harvest-lot")

    coop.get_by_role("link", name="Ghi sử dụng vật tư").click()
    coop.fill("#f-product", "Anvil 5SC")
    coop.fill("#f-active_ingredient", "Hexaconazole")
    coop.fill("#f-dose", "20")
    coop.fill("#f-unit", "ml/bình 16 lít")
    coop.fill("#f-pre_harvest_interval_days", "bảy ngày")
    coop.get_by_role("button", name="Lưu nhật ký").click()
    error = coop.locator("#e-pre_harvest_interval_days")
    assert error.inner_text() == "Vui lòng nhập số nguyên."
    assert coop.input_value("#f-active_ingredient") == "Hexaconazole"  # typed input kept
    shots.take(coop, "input-application-field-error")
    coop.fill("#f-pre_harvest_interval_days", "7")
    coop.get_by_role("button", name="Lưu nhật ký").click()
    coop.wait_for_url(f"{base}/app/lots/{LOT}?ok=recorded_input_application")
    assert "Sử dụng vật tư" in coop.inner_text(".timeline")

    coop.get_by_role("link", name="Chuyển giao").click()
    coop.select_option("#f-to", "sadec-pack")
    shots.take(coop, "transfer-form")
    coop.get_by_role("button", name="Gửi lô").click()
    coop.wait_for_url(f"{base}/app/lots/{LOT}?ok=transferred")
    assert "Đang vận chuyển đến" in coop.inner_text("#in-transit")
    shots.take(coop, "after-transfer")
    coop.context.close()

    # --- the packer ------------------------------------------------------------------------
    packer = _operator_page(browser)
    _sign_in(packer, base, "donggoi")
    packer.goto(f"{base}/app/lots")
    assert LOT in packer.inner_text("main")
    shots.take(packer, "packer-lots")
    packer.get_by_role("link", name=LOT).first.click()
    packer.get_by_role("link", name="Nhận lô / Từ chối").click()
    shots.take(packer, "shipment")
    packer.get_by_role("button", name="Nhận lô").click()
    packer.wait_for_url(f"{base}/app/lots/{LOT}?ok=received")
    packer.get_by_role("link", name="Đóng gói").click()
    packer.fill("#f-package", "thùng carton 10 kg")
    packer.fill("#f-package_count", "118")
    packer.get_by_role("button", name="Lưu đóng gói").click()
    packer.wait_for_url(f"{base}/app/lots/{LOT}?ok=recorded_packing")
    packer.get_by_role("link", name="Chia lô").click()
    packer.fill("#f-child_quantity_0", "600")
    packer.fill("#f-child_code_0", CHILD)
    packer.fill("#f-child_quantity_1", "580")
    shots.take(packer, "split-form")
    packer.get_by_role("button", name="Chia lô").click()
    packer.wait_for_url(f"{base}/app/lots/{LOT}?ok=split")
    shots.take(packer, "after-split")

    packer.goto(f"{base}/app/lots/{CHILD}/labels")
    packer.select_option("#f-layout", "a4")
    packer.select_option("#f-format", "pdf")
    packer.fill("#f-count", "6")
    shots.take(packer, "labels-form")
    with packer.expect_download() as download_info:
        packer.get_by_role("button", name="Tải tệp tem").click()
    sheet = tmp_path / "labels.pdf"
    download_info.value.save_as(sheet)
    packer.context.close()

    codes = _decode_pdf(sheet)
    assert len(codes) == 6
    uri = sorted(codes)[0]
    assert uri.startswith(f"{base}/01/0893") and f"/10/{CHILD}/21/000001" in uri

    # --- a consumer, once the worker has anchored --------------------------------------------
    verification = _wait_for_verdict(base, CHILD, "verified")
    assert verification["verdict"] == "verified", verification
    consumer = new_phone_page(browser)
    consumer.goto(uri)
    assert consumer.get_attribute("#verdict", "data-verdict") == "verified"
    shots.take(consumer, "consumer-verified")

    # --- the regulator -----------------------------------------------------------------------
    regulator = _operator_page(browser)
    _sign_in(regulator, base, "chicuc")
    regulator.goto(f"{base}/app/search")
    regulator.fill("#q", LOT)
    regulator.get_by_role("button", name="Tìm").click()
    regulator.wait_for_url(f"{base}/app/lots/{LOT}")
    shots.take(regulator, "regulator-lot")
    regulator.get_by_role("link", name="Thu hồi").click()
    regulator.fill("#f-reason", RECALL_REASON)
    shots.take(regulator, "recall-form")
    regulator.get_by_role("button", name="Thu hồi lô").click()
    regulator.wait_for_url(f"{base}/app/lots/{LOT}?ok=recalled")
    assert RECALL_REASON in regulator.inner_text(".alert-recall")
    shots.take(regulator, "after-recall")
    regulator.context.close()

    consumer.goto(uri)
    assert consumer.get_attribute("#verdict", "data-verdict") == "recalled"
    assert RECALL_REASON in consumer.inner_text("main")
    shots.take(consumer, "consumer-recalled")
    consumer.context.close()
