"""The label URL forms resolve to the lot's page; anything else is a friendly ``unknown``."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from qr.gtin import vietnam_gtin
from qr.uri import build_uri
from tests.web.scenario import CHILD, MANGO_GTIN, PLAIN, VERIFIED


def verdict_of(html: str) -> str:
    """The machine-readable verdict the page's heading carries."""
    match = re.search(r'<h1 id="verdict" data-verdict="([a-z]+)">([^<]+)</h1>', html)
    assert match, "no verdict heading on the page"
    return match.group(1)


@pytest.mark.parametrize(
    "path",
    [
        f"/l/{VERIFIED}",
        f"/l/{VERIFIED}/0001",
        f"/01/{MANGO_GTIN}/10/{VERIFIED}",
        f"/01/{MANGO_GTIN}/10/{VERIFIED}/21/0002",
        f"/01/{MANGO_GTIN[1:]}/10/{VERIFIED}",  # GTIN-13 as printed on retail barcodes
    ],
)
def test_every_label_form_resolves_to_the_lot_page(web: TestClient, path: str) -> None:
    response = web.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert verdict_of(response.text) == "verified"
    assert f'<dd class="hash">{VERIFIED}</dd>' in response.text


def test_uris_built_for_labels_resolve(web: TestClient) -> None:
    base = "http://testserver"
    for uri in (
        build_uri(base, lot=CHILD, gtin=MANGO_GTIN, serial="0003"),
        build_uri(base, lot=PLAIN),
    ):
        response = web.get(uri)
        assert response.status_code == 200, uri
        assert verdict_of(response.text) in ("verified", "pending")


def test_the_lot_link_works_for_a_product_without_gtin(web: TestClient) -> None:
    response = web.get(f"/l/{PLAIN}")
    assert response.status_code == 200
    assert "Bưởi Năm Roi" in response.text
    assert "Mã GTIN" not in response.text


def test_unknown_lot_gets_a_404_page_warning_of_counterfeit(web: TestClient) -> None:
    response = web.get("/l/KHONG-CO-LO-NAY")
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert verdict_of(response.text) == "unknown"
    assert ">Không tìm thấy</h1>" in response.text
    assert "Nhãn có thể là hàng giả." in response.text
    assert "Cảnh báo: nhãn có thể là hàng giả" in response.text
    assert "KHONG-CO-LO-NAY" in response.text


def test_gtin_of_another_product_is_unknown(web: TestClient) -> None:
    other = vietnam_gtin("8935049", 77)
    response = web.get(f"/01/{other}/10/{VERIFIED}")
    assert response.status_code == 404
    assert verdict_of(response.text) == "unknown"
    assert "Mã sản phẩm (GTIN) trên nhãn không khớp với lô hàng này." in response.text


def test_gtin_on_a_lot_whose_product_has_none_is_unknown(web: TestClient) -> None:
    response = web.get(f"/01/{MANGO_GTIN}/10/{PLAIN}")
    assert response.status_code == 404
    assert verdict_of(response.text) == "unknown"


@pytest.mark.parametrize(
    "path",
    [
        f"/01/08935049000014/10/{VERIFIED}",  # wrong check digit
        "/01/123/10/ABC",
        f"/01/{MANGO_GTIN}/21/0001/10/{VERIFIED}",  # qualifiers out of order
        f"/l/{VERIFIED}/0001/extra",
        "/l/%20",
    ],
)
def test_malformed_links_are_unknown_not_errors(web: TestClient, path: str) -> None:
    response = web.get(path)
    assert response.status_code == 404
    assert verdict_of(response.text) == "unknown"


def test_lot_codes_are_case_sensitive_as_in_gs1(web: TestClient) -> None:
    response = web.get(f"/l/{VERIFIED.lower()}")
    assert response.status_code == 404
