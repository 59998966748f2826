"""The consumer page in headless Chromium on a phone-sized screen.

Screenshots land in each test's tmp_path (pytest keeps the last few runs), so a person can
look at what a consumer sees.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import zxingcpp
from PIL import Image

from qr import LabelData, build_uri, render_labels
from tests.browser.conftest import LiveServer
from tests.support.browser import new_phone_page, patient
from tests.web.scenario import (
    ATTRIBUTE_BREAK,
    CHILD,
    HOSTILE,
    MANGO_GTIN,
    PENDING,
    RECALL_REASON,
    RECALLED,
    SCRIPT_TAG,
    TAMPERED,
    VERIFIED,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page

pytestmark = pytest.mark.browser

# Badge colours from consumer.css, as the browser reports computed backgrounds.
BADGE_BACKGROUND = {
    "verified": "rgb(230, 245, 236)",
    "pending": "rgb(255, 243, 214)",
    "tampered": "rgb(253, 236, 235)",
    "recalled": "rgb(251, 227, 227)",
    "unknown": "rgb(236, 238, 240)",
}


def open_page(page: Page, url: str) -> list[str]:
    """Go to ``url``; returns the list where script errors and CSP refusals are collected.

    (A 404 page's own status is logged by Chromium as an error too; that one is expected.)
    """
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(url)
    return problems


def fits_the_screen(page: Page) -> bool:
    """Nothing sticks out sideways: a phone must never need horizontal scrolling."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize(
    ("code", "verdict", "vietnamese", "english"),
    [
        (VERIFIED, "verified", "Đã xác thực", "Verified"),
        (PENDING, "pending", "Đang chờ xác thực", "Awaiting verification"),
        (TAMPERED, "tampered", "Dữ liệu bị thay đổi", "Data altered"),
        (RECALLED, "recalled", "Đã thu hồi", "Recalled"),
        ("KHONG-CO-LO-NAY", "unknown", "Không tìm thấy", "Not found"),
    ],
)
def test_each_verdict_reads_right_in_both_languages(
    page: Page,
    live_server: LiveServer,
    tmp_path: Path,
    code: str,
    verdict: str,
    vietnamese: str,
    english: str,
) -> None:
    errors = open_page(page, f"{live_server.url}/l/{code}")
    badge = page.locator("#verdict")
    assert badge.inner_text() == vietnamese
    assert badge.is_visible()
    # The inline stylesheet was allowed by the page's CSP and applied.
    background = page.locator(".verdict").evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == BADGE_BACKGROUND[verdict]
    assert fits_the_screen(page)
    page.screenshot(path=str(tmp_path / f"{verdict}-vi.png"), full_page=True)

    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page.locator("#verdict").inner_text() == english
    assert page.locator("html").get_attribute("lang") == "en"
    page.screenshot(path=str(tmp_path / f"{verdict}-en.png"), full_page=True)
    page.get_by_role("link", name="Tiếng Việt").click()
    page.wait_for_load_state()
    assert page.locator("#verdict").inner_text() == vietnamese
    assert errors == []


def test_english_phone_gets_english_without_asking(
    browser: Browser, live_server: LiveServer
) -> None:
    page = new_phone_page(browser, locale="en-GB")
    try:
        page.goto(f"{live_server.url}/l/{VERIFIED}")
        assert page.locator("#verdict").inner_text() == "Verified"
        assert page.locator(".product-name").inner_text() == "Hoa Loc mango"
    finally:
        page.context.close()


def test_recall_warning_is_the_first_thing_on_screen(page: Page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/l/{RECALLED}")
    banner = page.get_by_role("alert").first
    assert banner.is_visible()
    assert "Cảnh báo: sản phẩm đã bị thu hồi" in banner.inner_text()
    assert RECALL_REASON in banner.inner_text()
    box = banner.bounding_box()
    assert box is not None and box["y"] < 200  # above the fold on a 844 px tall phone


def test_scanning_a_printed_label_opens_a_verified_page(
    page: Page, live_server: LiveServer, tmp_path: Path
) -> None:
    uri = build_uri(live_server.url, lot=CHILD, gtin=MANGO_GTIN, serial="0002")
    label = LabelData(
        uri=uri,
        product_name_vi="Xoài cát Hòa Lộc",
        lot_code=CHILD,
        commune="Mỹ Xương",
        serial="0002",
    )
    png = render_labels([label], layout="thermal-50x30", fmt="png")
    (tmp_path / "label.png").write_bytes(png.content)
    with Image.open(tmp_path / "label.png") as image:
        decoded = [code.text for code in zxingcpp.read_barcodes(image.convert("L"))]
    assert decoded == [uri]

    page.goto(decoded[0])
    assert page.locator("#verdict").inner_text() == "Đã xác thực"
    assert "đã quét 1 lần" in page.locator("#scans").inner_text()
    page.screenshot(path=str(tmp_path / "scanned.png"), full_page=True)


def test_injected_markup_never_runs(page: Page, live_server: LiveServer, tmp_path: Path) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{live_server.url}/l/{HOSTILE}")
    page.wait_for_load_state("load")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.title() != "pwned"
    assert dialogs == []
    # The markup is there for the reader to see, as text.
    assert page.locator(".product-name").inner_text() == f"Xoài {SCRIPT_TAG}"
    assert ATTRIBUTE_BREAK in page.locator("#farm").inner_text()
    assert page.locator("script, img, svg").count() == 0
    assert fits_the_screen(page)  # long unbroken "words" wrap instead of widening the page
    page.screenshot(path=str(tmp_path / "hostile.png"), full_page=True)


def test_the_page_works_with_javascript_off(browser: Browser, live_server: LiveServer) -> None:
    context = patient(
        browser.new_context(
            java_script_enabled=False, viewport={"width": 390, "height": 844}, locale="vi-VN"
        )
    )
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/l/{CHILD}")
        assert page.locator("#verdict").inner_text() == "Đã xác thực"
        assert page.locator("#journey li").count() >= 7
        page.get_by_role("link", name="English").click()
        assert page.locator("#verdict").inner_text() == "Verified"
    finally:
        context.close()
