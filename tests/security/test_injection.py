"""SQL and HTML injection in every text field, confusable and NFD Unicode, hostile URLs.

Every free-text field a caller controls (organisation name, farm name, commune, province,
growing-area code, certification number, product names, event data and location,
transfer note, recall reason) is filled with each payload through the API. The payload must be
stored as text, exactly (NFC), read back unchanged, leave the database intact, and appear only
escaped on the consumer page and the operator app's lot and farm pages.

Codes (lots, farms, products, organisations) are identifiers printed in QR codes: confusable
look-alikes (Cyrillic, full-width, zero-width characters) are refused with 422 naming the
field, so no two labels can look alike and resolve differently. Vietnamese arriving in NFD is
stored in NFC and hashes as NFC.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import markupsafe
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from backend.app import create_app
from backend.db import session_scope
from backend.runtime import Runtime
from backend.services.accounts.users import create_user
from tests.support.app import ADMIN, make_settings

PAYLOADS = [
    "'; DROP TABLE event; --",
    "1' OR '1'='1' /*",
    "Robert'); DELETE FROM lot WHERE ('1'='1",
    "<script>alert('xss')</script>",
    "<img src=x onerror=alert(document.cookie)>",
    '"><svg/onload=alert(1)>',
    "{{7*7}}{% for x in range(9) %}${7*7}",
    "javascript:alert(1)//",
    "Xoài\u202eevil\u202c & <b>đậm</b>",
]
PASSWORD = "mật-khẩu-kiểm-thử-2026"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class World:
    client: TestClient
    runtime: Runtime
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def post(self, path: str, org: str, body: dict[str, Any]) -> Any:
        response = self.client.post(path, json=body, headers=self.headers[org])
        assert response.status_code in (200, 201), (path, response.text)
        return response.json()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root: Path = tmp_path_factory.mktemp("injection")
    settings_ = make_settings(
        root / "data", f"sqlite:///{root / 'ledger.db'}", rate_limit_per_minute=0
    )
    runtime = Runtime.start(settings_, start_worker=False)
    try:
        with TestClient(create_app(runtime), follow_redirects=False) as client:
            built = World(client, runtime)
            populate(built)
            yield built
    finally:
        runtime.close()


def populate(world: World) -> None:
    for slug, role, name in (
        ("htx", "cooperative", PAYLOADS[0]),
        ("dg", "packer", PAYLOADS[3]),
        ("ql", "regulator", PAYLOADS[4]),
    ):
        body = {"slug": slug, "name": name, "role": role, "key_custody": "custodial"}
        made = world.client.post("/api/v1/orgs", json=body, headers=ADMIN).json()
        world.headers[slug] = {"Authorization": f"Bearer {made['api_key']}"}
    for i, payload in enumerate(PAYLOADS):
        farm = {
            "code": f"F-{i}",
            "name": payload,
            "commune": payload,
            "province": payload,
            "growing_area_code": payload[:60],
            "certifications": [{"scheme": "VietGAP", "number": payload}],
        }
        world.post("/api/v1/farms", "htx", farm)
        world.post(
            "/api/v1/products",
            "htx",
            {"code": f"P-{i}", "name_vi": payload, "name_en": payload},
        )
        lot = {
            "code": f"INJ-{i}",
            "product": f"P-{i}",
            "farm": f"F-{i}",
            "quantity": "10",
            "unit": "kg",
            "harvested_at": "2026-05-01T06:30:00Z",
            "location": {"commune": payload},
            "data": {"ghi_chu": payload},
        }
        world.post("/api/v1/lots", "htx", lot)
        note = {
            "type": "note",
            "occurred_at": "2026-05-02T08:00:00Z",
            "location": {"place": payload},
            "data": {"text": payload},
        }
        world.post(f"/api/v1/lots/INJ-{i}/events", "htx", note)
        world.post(f"/api/v1/lots/INJ-{i}/transfer", "htx", {"to": "dg", "note": payload})
        if i % 2:  # half received with the payload as the note, half left in transit
            world.post(f"/api/v1/lots/INJ-{i}/receive", "dg", {"note": payload})
    world.post("/api/v1/lots/INJ-0/recall", "ql", {"reason": PAYLOADS[5]})
    with session_scope(world.runtime.engine) as session:
        create_user(session, org_slug="dg", username="kiem-thu", password=PASSWORD)


def signed_in(world: World) -> TestClient:
    client = world.client
    login = client.get("/app/login")
    if login.status_code in (302, 303):  # the cookie jar is already signed in
        return client
    token = CSRF.search(login.text)
    assert token is not None
    form = {"username": "kiem-thu", "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/app/login", data=form).status_code == 303
    return client


@pytest.mark.parametrize("index", range(len(PAYLOADS)), ids=[f"payload-{i}" for i in range(9)])
def test_payloads_are_stored_and_read_back_verbatim(world: World, index: int) -> None:
    payload = unicodedata.normalize("NFC", PAYLOADS[index])
    lot = world.client.get(f"/api/v1/lots/INJ-{index}", headers=ADMIN).json()
    assert lot["product"]["name_vi"] == payload and lot["product"]["name_en"] == payload
    assert lot["farm"]["name"] == payload and lot["farm"]["commune"] == payload
    assert lot["farm"]["certifications"][0]["number"] == payload
    harvest, note, transfer = lot["events"][:3]
    assert harvest["data"]["ghi_chu"] == payload and harvest["location"] == {"commune": payload}
    assert note["data"] == {"text": payload} and note["location"] == {"place": payload}
    assert transfer["data"]["note"] == payload


def test_the_database_survived_every_payload(world: World) -> None:
    with world.runtime.engine.connect() as connection:
        lots = connection.execute(text("SELECT count(*) FROM lot")).scalar()
        events = connection.execute(text("SELECT count(*) FROM event")).scalar()
    assert lots == len(PAYLOADS)
    # harvest, note, transfer each, a receipt for every other lot, and one recall
    assert events == 3 * len(PAYLOADS) + len(PAYLOADS) // 2 + 1
    recalled = world.client.get("/api/v1/lots/INJ-0", headers=ADMIN).json()
    assert recalled["recall_reason"] == PAYLOADS[5]


#: Pieces of the payloads that would be markup if unescaped; no page has any of its own.
ACTIVE_MARKUP = ("<script", "<img src=x", "<svg/onload", "<b>đậm")


#: The app's own scripts: the signing bundle from our origin and the JSON data blocks it reads
#: (escaped by ``tojson``); whatever else says ``<script`` came from a payload.
_OWN_SCRIPT = re.compile(
    r'<script type="module" src="/app/static/build/[a-z]+\.js"></script>'
    r'|<script type="application/json" id="sentrace-[a-z]+">[^<]*</script>'
)


def _without_own_scripts(page: str) -> str:
    return _OWN_SCRIPT.sub("", page)


def assert_escaped(page: str, payload: str, *, shown: bool = True) -> None:
    """The payload is on the page (if ``shown``) as escaped text, never as markup."""
    escaped = str(markupsafe.escape(payload))
    if shown:
        assert escaped in page, payload
    if escaped != payload:
        assert payload not in page, payload
    own = _without_own_scripts(page)
    for active in ACTIVE_MARKUP:
        if active in payload:
            assert active not in own, active
    assert "49" not in page.split("{{7*7}}")[-1][:2]  # no template evaluated the payload


@pytest.mark.parametrize("index", range(len(PAYLOADS)), ids=[f"payload-{i}" for i in range(9)])
def test_the_consumer_page_shows_payloads_escaped(world: World, index: int) -> None:
    page = world.client.get(f"/l/INJ-{index}", headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text[:300]
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src" not in page.headers["content-security-policy"]  # no script may run
    assert_escaped(page.text, unicodedata.normalize("NFC", PAYLOADS[index]))


@pytest.mark.parametrize("index", range(len(PAYLOADS)), ids=[f"payload-{i}" for i in range(9)])
def test_the_operator_pages_show_payloads_escaped(world: World, index: int) -> None:
    client = signed_in(world)
    payload = unicodedata.normalize("NFC", PAYLOADS[index])
    page = client.get(f"/app/lots/INJ-{index}")
    assert page.status_code == 200, page.status_code
    assert_escaped(page.text, payload)
    for path in ("/app/lots", "/app/"):  # lists show some of the fields: never unescaped
        listing = client.get(path)
        assert listing.status_code == 200, (path, listing.status_code)
        assert_escaped(listing.text, payload, shown=False)


# ------------------------------------------------------------------------ Unicode tricks

CONFUSABLE_CODES = {
    "cyrillic": "ХОАІ-01",
    "full-width": "ＸＯＡＩ-01",
    "zero-width": "XOAI\u200b-01",
    "rtl-override": "XOAI-\u202e10",
    "nfd-vietnamese": unicodedata.normalize("NFD", "XOÀI-01"),
    "space": "XOAI 01",
}


@pytest.mark.parametrize("code", CONFUSABLE_CODES.values(), ids=list(CONFUSABLE_CODES))
def test_confusable_codes_are_refused_naming_the_field(world: World, code: str) -> None:
    lot = {
        "code": code,
        "product": "P-1",
        "farm": "F-1",
        "quantity": "1",
        "unit": "kg",
        "harvested_at": "2026-05-01T06:30:00Z",
    }
    answers = {
        "code": world.client.post("/api/v1/lots", json=lot, headers=world.headers["htx"]),
        "slug": world.client.post(
            "/api/v1/orgs", json={"slug": code, "name": "x", "role": "retailer"}, headers=ADMIN
        ),
    }
    for name, answer in answers.items():
        assert answer.status_code == 422, (name, answer.text)
        assert answer.json()["field"] == name


def test_nfd_vietnamese_is_stored_and_hashed_as_nfc(world: World) -> None:
    nfd = unicodedata.normalize("NFD", "Phun thuốc trừ sâu ở vườn Mỹ Xương, Đồng Tháp")
    assert nfd != unicodedata.normalize("NFC", nfd)
    note = {"type": "processing", "occurred_at": "2026-05-03T08:00:00Z", "data": {nfd: nfd}}
    event_id = world.post("/api/v1/lots/INJ-1/events", "dg", note)["id"]
    events = world.client.get("/api/v1/lots/INJ-1", headers=ADMIN).json()["events"]
    nfc = unicodedata.normalize("NFC", nfd)
    assert next(e for e in events if e["id"] == event_id)["data"] == {nfc: nfc}
    verdicts = world.client.get("/api/v1/lots/INJ-1/verification").json()["events"]
    checked = next(e for e in verdicts if e["id"] == event_id)
    assert checked["computed_hash"] == checked["event_hash"]
    assert checked["verdict"] == "pending"  # no chain here: not anchored, signer not on chain yet
    assert checked["reason_code"] in ("pending_unanchored", "pending_signer_unregistered")


# -------------------------------------------------------------------------- hostile URLs

hostile_rest = st.lists(
    st.one_of(
        st.text(max_size=12).map(lambda part: quote(part, safe="%")),  # as a browser sends it
        st.sampled_from(
            ["%2F", "%00", "%", "..", "01", "10", "21", "INJ-1", "%E2%80%AE", "%C0%AF"]
        ),
    ),
    min_size=1,
    max_size=6,
).map("/".join)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(rest=hostile_rest, prefix=st.sampled_from(["/l/", "/01/", "/01/08935000000014/10/"]))
def test_hostile_label_urls_never_break_the_resolver(world: World, rest: str, prefix: str) -> None:
    answer = world.client.get(prefix + rest, headers={"Accept": "text/html"})
    assert answer.status_code < 500, (prefix + rest, answer.status_code)
    if answer.is_redirect:  # never an open redirect to another site
        target = urlsplit(answer.headers["location"])
        assert target.netloc in ("", "testserver"), answer.headers["location"]
    elif answer.status_code == 200:
        assert "INJ-" in answer.text
    else:
        assert answer.status_code in (404, 422), (prefix + rest, answer.status_code)
