"""Markup typed into products, farms and events is shown as text; pages stay small and
self-contained; the public limiter answers 429 with Retry-After."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backend.app import create_app
from backend.runtime import Runtime
from tests.web.conftest import consumer_runtime
from tests.web.scenario import (
    ATTRIBUTE_BREAK,
    CHILD,
    HANDLER_TAG,
    HOSTILE,
    RECALLED,
    SCRIPT_TAG,
    TAMPERED,
    VERIFIED,
)

PAGE_BUDGET_BYTES = 100 * 1024


def test_markup_from_products_farms_and_events_is_escaped(web: TestClient) -> None:
    for lang in ("vi", "en"):
        text = web.get(f"/l/{HOSTILE}", params={"lang": lang}).text
        for payload in (SCRIPT_TAG, ATTRIBUTE_BREAK, HANDLER_TAG):
            assert payload not in text
        assert "<script" not in text.lower()
        assert "<img" not in text.lower() and "<svg" not in text.lower()
        shown = html.unescape(text)  # what a reader sees: the markup, as text
        assert f"Xoài {SCRIPT_TAG}" in shown  # product name
        assert f"Vườn {ATTRIBUTE_BREAK}" in shown  # farm name, quotes and all
        assert HANDLER_TAG in shown  # commune
        assert f"Ghi chú {SCRIPT_TAG} {ATTRIBUTE_BREAK}" in shown  # note text
        assert f": {SCRIPT_TAG}</p>" in shown  # event place


def test_markup_in_the_scanned_code_is_escaped_on_the_404_page(web: TestClient) -> None:
    response = web.get("/l/%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert response.status_code == 404
    assert "<script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


@pytest.mark.parametrize("code", [VERIFIED, CHILD, TAMPERED, RECALLED, HOSTILE])
def test_page_weight_is_far_under_budget_and_needs_no_other_request(
    web: TestClient, code: str
) -> None:
    response = web.get(f"/l/{code}/0001", headers={"Accept-Encoding": "identity"})
    assert len(response.content) < PAGE_BUDGET_BYTES
    text = response.text
    assert "<script" not in text
    assert not re.search(r"<[^>]*\ssrc=", text)  # no images, frames or scripts to fetch
    assert '<link rel="stylesheet"' not in text  # the stylesheet is inline
    assert '<link rel="icon" href="data:,">' in text  # and no favicon request either


def test_pages_travel_gzipped_to_clients_that_take_it(web: TestClient) -> None:
    plain = web.get(f"/l/{CHILD}", headers={"Accept-Encoding": "identity"})
    zipped = web.get(f"/l/{CHILD}", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["vary"]
    assert zipped.text == plain.text  # the client unpacks it to the same page
    assert zipped.num_bytes_downloaded * 2 < plain.num_bytes_downloaded
    refused = web.get(f"/l/{CHILD}", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in refused.headers
    unknown = web.get("/l/KHONG-CO", headers={"Accept-Encoding": "gzip"})
    assert (unknown.status_code, unknown.headers["content-encoding"]) == (404, "gzip")


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[TestClient]:
    runtime: Runtime = consumer_runtime(tmp_path, rate_limit_per_minute=3)
    try:
        with TestClient(create_app(runtime)) as client:
            yield client
    finally:
        runtime.close()


def test_the_public_pages_are_rate_limited_per_client(limited: TestClient) -> None:
    for _ in range(3):
        assert limited.get("/l/KHONG-CO").status_code == 404
    refused = limited.get("/l/KHONG-CO")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 20  # one token refills in 20 s
    assert refused.json()["code"] == "rate_limited"
    assert limited.get("/healthz").status_code == 200  # only public pages are limited
