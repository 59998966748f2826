"""The label URIs answer as a GS1-Conformant resolver: link types, the RFC 9264 linkset, the
``Link`` header, 307s, languages, the description file, and the walk up from lot to GTIN."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from qr.gtin import vietnam_gtin
from tests.support.app import ADMIN
from tests.web.scenario import (
    HOSTILE_GTIN,
    MANGO_GTIN,
    PENDING,
    PLAIN,
    RECALL_REASON,
    RECALLED,
    SCRIPT_TAG,
    VERIFIED,
)

BASE = "http://127.0.0.1:8000"  # SENTRACE_PUBLIC_BASE_URL of the test settings
LOT_URI = f"/01/{MANGO_GTIN}/10/{VERIFIED}"
VOC = "https://ref.gs1.org/voc/"
LINKSET = "application/linkset+json"
UNKNOWN_GTIN = vietnam_gtin("8935049", 77)
MANGO_CLASS = f"https://id.gs1.org/01/{MANGO_GTIN}"


def redirect(web: TestClient, path: str, link_type: str, **headers: str) -> str:
    response = web.get(
        path, params={"linkType": link_type}, headers=headers, follow_redirects=False
    )
    assert response.status_code == 307, response.text
    assert "describedby" in response.headers["link"]
    location: str = response.headers["location"]
    return location


@pytest.mark.parametrize(
    ("link_type", "target"),
    [
        ("gs1:traceability", f"{BASE}/api/v1/lots/{VERIFIED}/epcis"),
        ("https://gs1.org/voc/traceability", f"{BASE}/api/v1/lots/{VERIFIED}/epcis"),
        ("gs1:certificationInfo", f"{BASE}/api/v1/lots/{VERIFIED}/certifications"),
        (f"{VOC}recallStatus", f"{BASE}/api/v1/lots/{VERIFIED}/recall-status"),
        (
            "gs1:epcis",
            f"{BASE}/epcis/events?MATCH_epcClass=" + quote(f"{MANGO_CLASS}/10/{VERIFIED}", safe=""),
        ),
    ],
)
def test_each_link_type_redirects_to_its_target(
    web: TestClient, link_type: str, target: str
) -> None:
    assert redirect(web, LOT_URI, link_type) == target


def test_pip_and_the_default_are_the_consumer_page_answered_in_place(web: TestClient) -> None:
    for params in ({"linkType": "gs1:pip"}, {"linkType": "gs1:defaultLink"}, {}):
        response = web.get(LOT_URI, params=params, follow_redirects=False)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert 'data-verdict="verified"' in response.text
        assert 'rel="linkset"' in response.headers["link"]


def test_the_query_string_is_passed_on_without_link_type(web: TestClient) -> None:
    response = web.get(
        f"{LOT_URI}?15=260520&7007=260501&linkType=gs1:traceability", follow_redirects=False
    )
    assert response.status_code == 307
    assert response.headers["location"] == (
        f"{BASE}/api/v1/lots/{VERIFIED}/epcis?15=260520&7007=260501"
    )


def test_linkset_by_link_type_and_by_accept_is_rfc9264_json(web: TestClient) -> None:
    by_type = web.get(LOT_URI, params={"linkType": "linkset"})
    by_accept = web.get(LOT_URI, headers={"Accept": LINKSET})
    for response in (by_type, by_accept):
        assert response.status_code == 200
        assert response.headers["content-type"] == LINKSET
        assert "json-ld#context" in response.headers["link"]
    body = by_type.json()
    assert body == by_accept.json()
    lot, gtin = body["linkset"]
    assert lot["anchor"] == f"{BASE}{LOT_URI}"
    assert gtin["anchor"] == f"{BASE}/01/{MANGO_GTIN}"
    assert lot["itemDescription"] == "Xoài cát Hòa Lộc"
    rels = {key.removeprefix(VOC) for key in lot if key.startswith(VOC)}
    assert rels == {
        "defaultLink",
        "pip",
        "traceability",
        "epcis",
        "recallStatus",
        "certificationInfo",
    }
    for key, targets in lot.items():
        if key.startswith(VOC):
            for target in targets:
                assert set(target) == {"href", "title", "type", "hreflang"}
                assert isinstance(target["hreflang"], list)
    assert [t["hreflang"] for t in lot[f"{VOC}pip"]] == [["vi"], ["en"]]
    assert lot[f"{VOC}pip"][1]["href"] == f"{BASE}{LOT_URI}?lang=en"
    assert len(lot[f"{VOC}defaultLink"]) == 1
    assert lot[f"{VOC}traceability"][0]["type"] == "application/ld+json"
    assert gtin[f"{VOC}epcis"][0]["href"].endswith(quote(MANGO_CLASS, safe=""))


def test_a_product_without_gtin_has_one_level_and_its_own_class_uri(web: TestClient) -> None:
    body = web.get(f"/l/{PLAIN}", params={"linkType": "linkset"}).json()
    (lot,) = body["linkset"]
    assert lot["anchor"] == f"{BASE}/l/{PLAIN}"
    epcis = lot[f"{VOC}epcis"][0]["href"]
    assert epcis.endswith(quote(f"{BASE}/l/{PLAIN}", safe=""))


def test_every_answer_carries_a_link_header(web: TestClient) -> None:
    for path, params, status in [
        (LOT_URI, {}, 200),
        (LOT_URI, {"linkType": "linkset"}, 200),
        (LOT_URI, {"linkType": "gs1:traceability"}, 307),
        (LOT_URI, {"linkType": "gs1:nutritionalInfo"}, 404),
        (f"/01/{MANGO_GTIN}", {}, 200),
        (f"/01/{MANGO_GTIN}/10/NO-SUCH-LOT", {}, 404),
        (f"/01/{UNKNOWN_GTIN}", {"linkType": "linkset"}, 404),
        (f"{LOT_URI}/17/261231", {"linkType": "linkset"}, 400),
        ("/l/NO-SUCH-LOT", {}, 404),
    ]:
        response = web.get(path, params=params, follow_redirects=False)
        assert response.status_code == status, (path, params)
        assert "/.well-known/gs1resolver>" in response.headers["link"], (path, params)


def test_an_unknown_link_type_is_404_listing_the_links_there_are(web: TestClient) -> None:
    response = web.get(LOT_URI, params={"linkType": "gs1:nutritionalInfo"})
    assert response.status_code == 404
    body = response.json()
    assert (body["code"], body["field"], body["linkType"]) == (
        "not_found",
        "linkType",
        "gs1:nutritionalInfo",
    )
    assert body["detail"].startswith("Không có liên kết loại này")
    assert body["linkset"][0]["anchor"] == f"{BASE}{LOT_URI}"


def test_accept_language_chooses_the_language_of_the_link(web: TestClient) -> None:
    walked = f"/01/{MANGO_GTIN}/10/NO-SUCH-LOT"
    assert redirect(web, walked, "gs1:pip", **{"Accept-Language": "en-GB,en;q=0.9"}) == (
        f"{BASE}/01/{MANGO_GTIN}?lang=en"
    )
    assert redirect(web, walked, "gs1:pip", **{"Accept-Language": "vi"}) == (
        f"{BASE}/01/{MANGO_GTIN}"
    )
    page = web.get(LOT_URI, params={"linkType": "gs1:pip"}, headers={"Accept-Language": "en"})
    assert page.headers["content-language"] == "en"
    assert "Hoa Loc mango" in page.text


def test_an_unknown_lot_walks_up_to_its_gtin(web: TestClient) -> None:
    walked = f"/01/{MANGO_GTIN}/10/NO-SUCH-LOT"
    (level,) = web.get(walked, params={"linkType": "linkset"}).json()["linkset"]
    assert level["anchor"] == f"{BASE}/01/{MANGO_GTIN}"
    assert level["itemDescription"] == "Xoài cát Hòa Lộc"
    assert redirect(web, walked, "gs1:epcis").endswith(quote(MANGO_CLASS, safe=""))
    # A person still learns that the lot is unknown: the label may be counterfeit.
    page = web.get(walked)
    assert page.status_code == 404
    assert 'data-verdict="unknown"' in page.text
    assert f"<{BASE}/01/{MANGO_GTIN}>" in page.headers["link"]


def test_a_gtin_alone_gets_its_product_page_in_any_gtin_length(web: TestClient) -> None:
    for gtin in (MANGO_GTIN, MANGO_GTIN[1:]):
        page = web.get(f"/01/{gtin}")
        assert page.status_code == 200
        assert "Xoài cát Hòa Lộc" in page.text
        assert MANGO_GTIN in page.text
    links = web.get(f"/01/{MANGO_GTIN}", headers={"Accept": "application/json"})
    assert links.headers["content-type"] == LINKSET
    assert links.json()["linkset"][0]["anchor"] == f"{BASE}/01/{MANGO_GTIN}"


def test_the_product_page_escapes_what_a_product_is_named(web: TestClient) -> None:
    page = web.get(f"/01/{HOSTILE_GTIN}")
    assert page.status_code == 200
    assert SCRIPT_TAG not in page.text
    assert "&lt;script&gt;" in page.text
    assert "script-src" not in page.headers["content-security-policy"]  # no script runs here


def test_an_unknown_gtin_is_404_with_a_json_body(web: TestClient) -> None:
    response = web.get(f"/01/{UNKNOWN_GTIN}", params={"linkType": "linkset"})
    assert response.status_code == 404
    assert response.json() == {
        "detail": "Không có sản phẩm nào mang mã GTIN này / no product carries this GTIN",
        "code": "not_found",
        "field": "gtin",
        "gtin": UNKNOWN_GTIN,
    }
    lot = web.get(f"/01/{UNKNOWN_GTIN}/10/ABC", params={"linkType": "gs1:pip"}).json()
    assert (lot["field"], lot["lot"], lot["gtin"]) == ("lot", "ABC", UNKNOWN_GTIN)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"{LOT_URI}/17/261231", "path"),  # a data attribute belongs in the query string
        (f"/01/{MANGO_GTIN}/21/0001/10/{VERIFIED}", "path"),  # qualifiers out of order
        (f"/01/08935049000014/10/{VERIFIED}", "path"),  # wrong check digit
        (f"{LOT_URI}?15=261399", "15"),  # month 13
        (f"{LOT_URI}?7007=260501269999", "7007"),  # a harvest range ending on no day
    ],
)
def test_an_invalid_digital_link_is_400_naming_what_is_wrong(
    web: TestClient, path: str, field: str
) -> None:
    sep = "&" if "?" in path else "?"
    response = web.get(f"{path}{sep}linkType=linkset")
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["field"]) == ("invalid_input", field)


def test_a_valid_digital_link_that_is_no_label_form_walks_up_to_its_gtin(
    web: TestClient,
) -> None:
    serial_alone = f"/01/{MANGO_GTIN}/21/0001"  # valid GS1; SenTrace labels always carry a lot
    (level,) = web.get(serial_alone, params={"linkType": "linkset"}).json()["linkset"]
    assert level["anchor"] == f"{BASE}/01/{MANGO_GTIN}"
    unknown = web.get(f"/01/{UNKNOWN_GTIN}/21/0001", params={"linkType": "linkset"})
    assert (unknown.status_code, unknown.json()["field"]) == (404, "gtin")


def test_the_resolver_describes_itself_at_the_well_known_address(web: TestClient) -> None:
    response = web.get("/.well-known/gs1resolver")
    assert response.status_code == 200
    body = response.json()
    assert body["resolverRoot"] == BASE
    assert body["supportedPrimaryKeys"] == ["01"]
    assert body["supportedLinkType"] == [{"namespace": VOC, "prefix": "gs1:"}]
    assert body["linkTypeDefaultCanBeLinkset"] is False
    assert body["jsonLdContextLocation"] == (
        "https://ref.gs1.org/standards/resolver/linkset-context"
    )
    assert body["name"] == "SenTrace"


def test_recall_status_comes_from_the_verification(web: TestClient) -> None:
    recalled = web.get(f"/api/v1/lots/{RECALLED}/recall-status").json()
    assert (recalled["recalled"], recalled["verdict"]) == (True, "recalled")
    assert recalled["recall"]["reason"] == RECALL_REASON
    fine = web.get(f"/api/v1/lots/{VERIFIED}/recall-status").json()
    assert (fine["recalled"], fine["recall"]) == (False, None)
    assert web.get("/api/v1/lots/NO-SUCH/recall-status").status_code == 404


def test_certificates_are_answered_only_once_proven(web: TestClient) -> None:
    proven = web.get(f"/api/v1/lots/{VERIFIED}/certifications").json()
    assert proven["proven"] is True
    assert {(c["scheme"], c["valid_at_harvest"]) for c in proven["certifications"]} == {
        ("VietGAP", True),
        ("GlobalGAP", False),  # expired in 2023, harvested in 2026
    }
    # No regulator reviewed them: the cooperative's own statement, and said so.
    assert {(c["status"], c["confirmed_by"]) for c in proven["certifications"]} == {
        ("self_declared", None)
    }
    pending = web.get(f"/api/v1/lots/{PENDING}/certifications").json()
    assert (pending["verdict"], pending["proven"], pending["certifications"]) == (
        "pending",
        False,
        [],
    )
    pending_links = web.get(f"/01/{MANGO_GTIN}/10/{PENDING}", params={"linkType": "linkset"}).json()
    assert f"{VOC}certificationInfo" not in pending_links["linkset"][0]


def test_options_answers_what_a_link_allows_for_cross_origin_readers(web: TestClient) -> None:
    response = web.options(
        LOT_URI, headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}
    )
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, HEAD, OPTIONS"
    assert response.headers["access-control-allow-origin"] == "*"
    assert "Link" in response.headers["access-control-expose-headers"]


def test_head_asks_the_same_as_get(web: TestClient) -> None:
    response = web.head(LOT_URI, params={"linkType": "gs1:recallStatus"}, follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == f"{BASE}/api/v1/lots/{VERIFIED}/recall-status"


def test_the_page_names_its_linkset_and_default_while_programs_get_every_link(
    web: TestClient,
) -> None:
    page = web.get(LOT_URI).headers["link"]
    assert f'<{BASE}{LOT_URI}?linkType=linkset>; rel="linkset"' in page
    assert f'rel="{VOC}defaultLink"' in page
    assert f'rel="{VOC}traceability"' not in page  # kept short: the phone pays for every byte
    redirected = web.get(
        LOT_URI, params={"linkType": "gs1:recallStatus"}, follow_redirects=False
    ).headers["link"]
    assert f'<{BASE}/api/v1/lots/{VERIFIED}/epcis>; rel="{VOC}traceability"' in redirected


def test_the_traceability_link_leads_to_the_lots_epcis_document(web: TestClient) -> None:
    location = redirect(web, LOT_URI, "gs1:traceability")
    document = web.get(location.removeprefix(BASE))
    assert document.status_code == 200, document.text
    assert document.headers["content-type"].startswith("application/ld+json")
    assert f"{MANGO_CLASS}/10/{VERIFIED}" in document.text


def test_the_epcis_link_asks_the_query_interface_for_the_lots_class(web: TestClient) -> None:
    for uri, klass in ((LOT_URI, f"{MANGO_CLASS}/10/{VERIFIED}"), (f"/01/{MANGO_GTIN}", "")):
        location = redirect(web, uri, "gs1:epcis")
        answer = web.get(location.removeprefix(BASE), headers=ADMIN)
        assert answer.status_code == 200, answer.text
        events = answer.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        assert events, location
        assert all(MANGO_CLASS in json.dumps(event) for event in events)
        assert klass in json.dumps(events)
