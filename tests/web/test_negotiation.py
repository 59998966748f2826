"""JSON on the same URLs (Accept, GS1 linkType) and the page's language."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.web.consumer.negotiation import wants_json
from tests.web.scenario import MANGO_GTIN, VERIFIED

BROWSER_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
)


EVENT_FACTS = (
    "id",
    "lot",
    "type",
    "verdict",
    "event_hash",
    "batch_root",
    "tx_hash",
    "block_number",
)


def facts(body: dict[str, Any]) -> tuple[object, ...]:
    """What must agree between two verifications (reason texts may name a changing depth)."""
    events = [tuple(event[key] for key in EVENT_FACTS) for event in body["events"]]
    return body["lot"], body["verdict"], events, body["chain"], body["recall"]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/json", True),
        ("application/json;q=0.9, text/html;q=0.5", True),
        ("text/html, application/json", False),
        ("text/html;q=0.4, application/json;q=0.8", True),
        ("application/json;q=0", False),
        (BROWSER_ACCEPT, False),
        ("*/*", False),
        (None, False),
    ],
)
def test_json_is_chosen_by_accept(accept: str | None, expected: bool) -> None:
    assert wants_json(accept) is expected


def test_accept_json_gives_the_verification_document(web: TestClient) -> None:
    response = web.get(f"/l/{VERIFIED}", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    api = web.get(f"/api/v1/lots/{VERIFIED}/verification")
    assert facts(response.json()) == facts(api.json())
    assert response.json()["verdict"] == "verified"


def test_link_type_traceability_sends_even_a_browser_to_the_epcis_export(
    web: TestClient,
) -> None:
    response = web.get(
        f"/01/{MANGO_GTIN}/10/{VERIFIED}",
        params={"linkType": "gs1:traceability"},
        headers={"Accept": BROWSER_ACCEPT},
        follow_redirects=False,
    )
    assert response.status_code == 307
    assert response.headers["location"].endswith(f"/api/v1/lots/{VERIFIED}/epcis")


def test_unknown_lot_as_json_is_404_with_verdict_unknown(web: TestClient) -> None:
    response = web.get("/l/KHONG-CO", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.json() == {
        "detail": response.json()["detail"],
        "code": "not_found",
        "field": None,
        "lot": "KHONG-CO",
        "verdict": "unknown",
    }


def test_page_is_vietnamese_by_default(web: TestClient) -> None:
    response = web.get(f"/l/{VERIFIED}")
    assert '<html lang="vi">' in response.text
    assert response.headers["content-language"] == "vi"
    assert ">Đã xác thực</h1>" in response.text
    assert "Xoài cát Hòa Lộc" in response.text
    assert f'<a class="lang" href="/l/{VERIFIED}?lang=en" hreflang="en" lang="en">English</a>' in (
        response.text
    )


def test_lang_query_switches_to_english_with_a_link_back(web: TestClient) -> None:
    response = web.get(f"/l/{VERIFIED}", params={"lang": "en"})
    assert '<html lang="en">' in response.text
    assert response.headers["content-language"] == "en"
    assert ">Verified</h1>" in response.text
    assert "Hoa Loc mango" in response.text
    assert "Download proof" in response.text
    assert (
        f'<a class="lang" href="/l/{VERIFIED}?lang=vi" hreflang="vi" lang="vi">Tiếng Việt</a>'
        in response.text
    )


@pytest.mark.parametrize(
    ("accept_language", "expected"),
    [
        ("en-US,en;q=0.9", "en"),
        ("fr-FR, en;q=0.5", "en"),
        ("vi-VN,vi;q=0.9,en;q=0.8", "vi"),
        ("fr", "vi"),
    ],
)
def test_accept_language_picks_the_page_language(
    web: TestClient, accept_language: str, expected: str
) -> None:
    response = web.get(f"/l/{VERIFIED}", headers={"Accept-Language": accept_language})
    assert f'<html lang="{expected}">' in response.text


def test_lang_query_beats_accept_language(web: TestClient) -> None:
    response = web.get(f"/l/{VERIFIED}?lang=vi", headers={"Accept-Language": "en"})
    assert ">Đã xác thực</h1>" in response.text


def test_unknown_page_speaks_english_too(web: TestClient) -> None:
    response = web.get("/l/KHONG-CO?lang=en")
    assert response.status_code == 404
    assert ">Not found</h1>" in response.text
    assert "The label may be counterfeit." in response.text
