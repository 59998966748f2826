"""The field app on an emulated Pixel 5 in Chromium: entries recorded with no connection
survive a reload, are sealed at rest, and are sent once each, signed on the phone, when the
connection returns; an entry about a lot handed on meanwhile comes back refused and stays.

The server is the signing tests' (a browser-held cooperative, an in-process chain): every
event the phone sends goes through the real 428 protocol and is checked against the key the
phone made on the key page.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from PIL import Image
from sqlmodel import Session, select

from backend.db import session_scope
from backend.models import Event, FarmDiaryEntry, Lot
from backend.models_field import FieldPhoto
from backend.services.accounts.api_keys import issue_api_key
from backend.services.accounts.org_keys import register_key
from backend.services.accounts.orgs import create_organisation, get_org_by_slug
from backend.services.field.rules import field_rules
from tests.browser.signing_server import (
    COOP_SLUG,
    COOP_USER,
    DIARY_FARM,
    FARM,
    FOURTH_USER,
    PASSWORD,
    PRODUCT,
    SECOND_USER,
    THIRD_USER,
    SigningServer,
    signing_server,
)
from tests.support.browser import ANDROID_CHROME_UA, patient

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = [pytest.mark.browser]

PASSPHRASE = "mật khẩu của anh Tư"
PACKER_SLUG = "dong-goi-sa-dec"
BATCH = "/api/v1/events/batch"
#: Where the phone sends its queue: lot events in batches, farm inputs to the farm's diary.
SENT_TO = (BATCH, "/inputs")
#: Playwright's "Pixel 5" descriptor (the driver's device list is not reachable from the one
#: shared browser), with Chrome on Android's user agent.
PIXEL_5: dict[str, Any] = {
    "viewport": {"width": 393, "height": 727},
    "screen": {"width": 393, "height": 851},
    "device_scale_factor": 2.75,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": ANDROID_CHROME_UA,
    "locale": "vi-VN",
    "timezone_id": "Asia/Ho_Chi_Minh",
}
#: Chromium DevTools' "Slow 3G" preset.
SLOW_3G = {"offline": False, "latency": 400 * 5, "downloadThroughput": 500 * 1000 / 8 * 0.8,
           "uploadThroughput": 500 * 1000 / 8 * 0.8}  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SigningServer]:
    yield from signing_server(tmp_path_factory.mktemp("field-app"))


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    context = patient(browser.new_context(**PIXEL_5))
    try:
        yield context
    finally:
        context.close()


def message_of(form: str, name: str, check: str) -> str:
    field = next(f for f in field_rules()["forms"][form]["fields"] if f["name"] == name)
    text: str = field["messages"][check]
    return text


def set_up_phone(page: Page, server: SigningServer, username: str) -> None:
    """Sign in, make the key on the key page (first sign-in sends there), open the field app
    and let its service worker take control."""
    page.goto(f"{server.url}/app/login")
    page.fill("#f-username", username)
    page.fill("#f-password", PASSWORD)
    page.click("form[action='/app/login'] button[type=submit]")
    page.wait_for_url("**/app/keys?setup=1")
    page.fill("#create-passphrase", PASSPHRASE)
    page.fill("#create-passphrase-again", PASSPHRASE)
    page.click("#key-create button[type=submit]")
    page.wait_for_url("**/app/keys?done=key_registered")
    page.goto(f"{server.url}/app/field")
    page.wait_for_selector("#field-app[data-ready=true]")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_selector("#field-app[data-ready=true]")
    deadline = time.monotonic() + 10
    while not page.evaluate("navigator.serviceWorker.controller !== null"):
        assert time.monotonic() < deadline, "the service worker never took control"
        page.wait_for_timeout(100)


def saved(page: Page, before: int) -> None:
    """Waits until the entry just submitted is in the queue (the badge counts it)."""
    page.wait_for_selector(f"#field-badge[data-count='{before + 1}']", state="attached")


def choose_form(page: Page, kind: str) -> None:
    page.click(f"#field-kind-{kind}")
    page.wait_for_selector(f"#field-form-{kind}")


def fill_harvest(page: Page) -> None:
    choose_form(page, "harvest")
    page.select_option("#f-product", PRODUCT)
    page.select_option("#f-farm", FARM)
    page.fill("#f-quantity", "850.50")
    page.fill("#f-unit", "kg")


def save_harvest(page: Page) -> str:
    page.click("#field-save")
    notice = page.wait_for_selector("#field-notice:has-text('Mã lô mới')")
    code = (notice.text_content() or "").rsplit(":", 1)[1].strip()
    assert re.fullmatch(r"DT-XOAI-\d{4}-[0-9A-HJKMNP-TV-Z]{6}", code), code
    return code


def record_harvest(page: Page) -> str:
    fill_harvest(page)
    return save_harvest(page)


def record_farm_input(page: Page) -> None:
    """An input applied to the farm, for its season diary (``POST /farms/{code}/inputs``)."""
    choose_form(page, "input_application")
    page.select_option("#f-farm", DIARY_FARM)
    page.fill("#f-product", "Amistar Top 325SC")
    page.fill("#f-active_ingredient", "Azoxystrobin + Difenoconazole")
    page.fill("#f-dose", "10")
    page.fill("#f-unit", "ml/16 l")
    page.fill("#f-pre_harvest_interval_days", "7")
    page.fill("#f-operator", "Nguyễn Văn Tư")
    before = badge(page)
    page.click("#field-save")
    saved(page, before)


def diary_of(server: SigningServer) -> list[FarmDiaryEntry]:
    with Session(server.runtime.engine) as session:
        return list(session.exec(select(FarmDiaryEntry)).all())


def record_quality_check(page: Page, lot: str, photo: bytes | None = None) -> None:
    choose_form(page, "quality_check")
    page.select_option("#f-lot", lot)
    page.check("#f-result-pass")
    page.fill("#f-notes", "Trái đều, vỏ vàng đẹp")
    if photo is not None:
        upload = {"name": "xoai.jpg", "mimeType": "image/jpeg", "buffer": photo}
        page.set_input_files("#f-photo", files=[upload])
    before = badge(page)
    page.click("#field-save")
    saved(page, before)


def photo_with_gps() -> bytes:
    """A JPEG as a phone camera writes it: EXIF with a GPS position in the orchard."""
    image = Image.new("RGB", (2400, 1800), (240, 190, 40))
    exif = Image.Exif()
    exif[0x010F] = "Phone maker"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (10.0, 27.0, 36.0), "E", (105.0, 38.0, 24.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, quality=90)
    return out.getvalue()


def badge(page: Page) -> int:
    return int(page.get_attribute("#field-badge", "data-count") or "0")


def events_of(server: SigningServer, code: str) -> list[Event]:
    with Session(server.runtime.engine) as session:
        lot = session.exec(select(Lot).where(Lot.code == code)).one()
        return list(session.exec(select(Event).where(Event.lot_id == lot.id).order_by(Event.seq)))


@pytest.mark.slow  # an offline session in Chromium, reloaded
def test_offline_entries_survive_a_reload_and_are_sent_once_each_signed(
    phone: BrowserContext, server: SigningServer
) -> None:
    page = phone.new_page()
    set_up_phone(page, server, COOP_USER)

    phone.set_offline(True)
    code = record_harvest(page)

    choose_form(page, "treatment")  # a post-harvest treatment: an event of the lot
    page.select_option("#f-lot", code)  # the lot harvested a minute ago, not yet sent
    page.fill("#f-product", "Anvil 5SC")
    page.fill("#f-active_ingredient", "Hexaconazole")
    page.fill("#f-dose", "1,5")
    page.fill("#f-unit", "ml/l")
    page.fill("#f-pre_harvest_interval_days", "7")
    page.click("#field-save")
    expected = message_of("treatment", "dose", "not_decimal")
    assert page.text_content("#f-dose-err") == expected
    page.fill("#f-dose", "1.5")
    page.click("#field-save")
    saved(page, 1)

    record_quality_check(page, code, photo_with_gps())
    record_farm_input(page)  # to the farm's season diary, not to a lot
    assert badge(page) == 4

    page.reload()  # still offline: the service worker serves the app, IndexedDB the entries
    page.wait_for_selector("#field-app[data-ready=true]")
    assert badge(page) == 4
    sealed = page.evaluate(
        """async () => {
            const db = await new Promise((ok) => { const r = indexedDB.open('sentrace-field');
                r.onsuccess = () => ok(r.result); });
            const rows = await new Promise((ok) => { const r = db.transaction('entries')
                .objectStore('entries').getAll(); r.onsuccess = () => ok(r.result); });
            return rows.map((row) => ({ keys: Object.keys(row).sort(),
                text: new TextDecoder('latin1').decode(row.sealed) }));
        }"""
    )
    assert len(sealed) == 4
    for row in sealed:
        assert "payload" not in row["keys"] and "item" not in row["keys"]
        assert code not in row["text"] and "Hexaconazole" not in row["text"]
        assert "Amistar" not in row["text"] and "Nguyễn" not in row["text"]

    page.click("#field-tab-queue")
    page.wait_for_selector("#field-queue li[data-status=waiting] >> nth=3")

    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if r.url.endswith(SENT_TO) else None)
    phone.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#field-queue li[data-status=accepted] >> nth=3", timeout=30_000)
    assert page.locator("#field-queue li").count() == 4
    assert badge(page) == 0

    stored = events_of(server, code)
    assert [e.type.value for e in stored] == ["harvest", "input_application", "quality_check"]
    signers = {e.signer for e in stored}
    assert len(signers) == 1 and None not in signers
    assert all(e.signature for e in stored)
    [sprayed] = diary_of(server)
    assert sprayed.signature and sprayed.signer in signers  # signed on the phone, same key
    document = json.loads(sprayed.canonical)
    assert (document["farm"], document["type"]) == (DIARY_FARM, "input_application")
    assert document["data"]["product"] == "Amistar Top 325SC"
    assert set(document["data"]["operator"]) == {"commitment"}  # a person's name, committed
    assert stored[0].data["quantity"] == "850.5"
    assert stored[1].data["active_ingredient"] == "Hexaconazole"
    photo_hash = stored[2].data["photo_sha256"]
    with Session(server.runtime.engine) as session:
        photo = session.get(FieldPhoto, photo_hash)
        assert photo is not None
    assert hashlib.sha256(photo.content).hexdigest() == photo_hash
    kept = Image.open(io.BytesIO(photo.content))
    assert not kept.getexif() and max(kept.size) == 1600  # resized on the phone, no GPS

    lot_page = page.context.new_page()
    lot_page.goto(f"{server.url}/app/lots/{code}")
    timeline = lot_page.text_content("main") or ""
    for shown in ("Thu hoạch", "Hexaconazole", "Trái đều, vỏ vàng đẹp", photo_hash):
        assert shown in timeline
    lot_page.close()

    before = len(sent)
    page.click("#field-sync")
    page.wait_for_selector("#field-notice:has-text('Không có mục nào chờ gửi')")
    assert len(sent) == before  # nothing sent twice
    assert len(events_of(server, code)) == 3


def _transfer_as_colleague(server: SigningServer, code: str) -> None:
    """Another member of the cooperative hands the lot to a packer from their own system
    (client-held key, API key), signing through the 428 protocol; the packer receives it."""
    account = Account.create()
    with session_scope(server.runtime.engine) as session:
        coop = get_org_by_slug(session, COOP_SLUG)
        assert coop is not None
        if get_org_by_slug(session, PACKER_SLUG) is None:
            create_organisation(
                session,
                slug=PACKER_SLUG,
                name="Đóng gói Sa Đéc",
                role="packer",
                key_custody="custodial",
                settings=server.runtime.settings,
            )
        register_key(session, coop, address=account.address, custody="client")
        _, api_key = issue_api_key(session, org=coop, label="colleague")
        packer = get_org_by_slug(session, PACKER_SLUG)
        assert packer is not None
        _, packer_key = issue_api_key(session, org=packer, label="kho")
    path = f"/api/v1/lots/{code}/transfer"
    auth = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=server.url, headers=auth) as client:
        answer = client.post(path, json={"to": PACKER_SLUG})
        assert answer.status_code == 428, answer.text
        draft = answer.json()["draft"]
        signatures = [
            "0x" + bytes(Account.sign_message(encode_typed_data(full_message=item["typed_data"]),
                                              account.key).signature).hex()
            for item in draft["sign"]
        ]  # fmt: skip
        headers = {"X-SenTrace-Draft": draft["id"], "X-SenTrace-Signatures": ",".join(signatures)}
        done = client.post(path, json={"to": PACKER_SLUG}, headers=headers)
        assert done.status_code in (200, 201), done.text
        # The packer (custodial key: the server signs) receives it: it holds the lot now.
        receiver = {"Authorization": f"Bearer {packer_key}"}
        received = client.post(f"/api/v1/lots/{code}/receive", json={}, headers=receiver)
        assert received.status_code == 200, received.text


def test_an_entry_about_a_lot_handed_on_meanwhile_comes_back_refused_and_stays(
    phone: BrowserContext, server: SigningServer
) -> None:
    page = phone.new_page()
    set_up_phone(page, server, SECOND_USER)
    code = record_harvest(page)  # online: sent at once
    page.click("#field-tab-queue")
    page.wait_for_selector("#field-queue li[data-status=accepted]")
    page.click("#field-tab-new")

    phone.set_offline(True)
    record_quality_check(page, code)
    assert badge(page) == 1
    _transfer_as_colleague(server, code)

    phone.set_offline(False)
    page.click("#field-tab-queue")
    page.click("#field-sync")
    refused = page.wait_for_selector("#field-queue li[data-status=refused]", timeout=30_000)
    assert "Tổ chức không giữ lô này" in (refused.text_content() or "")
    assert refused.get_attribute("data-kind") == "quality_check"
    # A new tab holds no unlocked key: the queue opens only with the key's passphrase.
    later = phone.new_page()
    later.goto(f"{server.url}/app/field")
    later.wait_for_selector("#field-app[data-ready=true]")
    fill_harvest(later)  # a harvest names no lot: the cooperative may hold none by now
    later.click("#field-save")
    later.click("#field-unlock-cancel")  # not unlocked: nothing stored, nothing typed lost
    assert later.input_value("#f-quantity") == "850.50"
    assert badge(later) == 0
    later.click("#field-tab-queue")
    later.fill("#field-unlock-pass", PASSPHRASE + " sai")
    later.click("#field-unlock-ok")
    later.wait_for_selector("#field-unlock-err:has-text('Sai mật khẩu khóa ký')")
    later.fill("#field-unlock-pass", PASSPHRASE)
    later.click("#field-unlock-ok")
    kept = later.wait_for_selector("#field-queue li[data-status=refused] .msg")
    assert (kept.text_content() or "").startswith("Tổ chức không giữ lô này")
    assert [e.type.value for e in events_of(server, code)] == [
        "harvest",
        "transfer",
        "transfer_received",
    ]


def _ready_in(page: Page, url: str) -> tuple[float, float]:
    """Seconds until the app has drawn itself, and the navigation's DOMContentLoaded (ms)."""
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_selector("#field-app[data-ready=true]", timeout=60_000)
    elapsed = time.perf_counter() - started
    dcl = page.evaluate("performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd")
    return elapsed, float(dcl)


@pytest.mark.slow  # throttled loads of the whole app
def test_the_app_opens_fast_on_slow_3g_after_the_first_visit(
    phone: BrowserContext, server: SigningServer
) -> None:
    page = phone.new_page()
    set_up_phone(page, server, THIRD_USER)
    cdp = phone.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    url = f"{server.url}/app/field"
    # For comparison, a visit as a first one would go: no service worker, no HTTP cache.
    cdp.send("Network.setBypassServiceWorker", {"bypass": True})
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cold, cold_dcl = _ready_in(page, url)
    cdp.send("Network.setBypassServiceWorker", {"bypass": False})
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    warm, warm_dcl = _ready_in(page, url)
    print(
        f"\nfield app on Slow 3G: after the first visit ready in {warm:.2f} s "
        f"(DOMContentLoaded {warm_dcl:.0f} ms); without the service worker and cache "
        f"{cold:.2f} s (DOMContentLoaded {cold_dcl:.0f} ms)"
    )
    cdp.send("Network.emulateNetworkConditions", {**SLOW_3G, "latency": 0,
              "downloadThroughput": -1, "uploadThroughput": -1})  # fmt: skip

    page.click("#field-lang")  # English second: the server's catalogue in English
    page.wait_for_selector("#field-sync:has-text('Send now')")
    page.wait_for_selector("#field-kind-quality_check:has-text('Quality check')")


def test_fresh_data_arriving_while_a_harvest_is_typed_keeps_what_was_typed(
    phone: BrowserContext, server: SigningServer
) -> None:
    """The app draws itself from its offline copy and fetches a fresh one behind: on a slow
    signal the fresh copy lands while the member is typing, and must not wipe the form."""
    page = phone.new_page()
    set_up_phone(page, server, THIRD_USER)
    held: list[Any] = []

    def hold_the_first(route: Any) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route("**/app/field/data.json*", hold_the_first)
    page.reload()
    page.wait_for_selector("#field-app[data-ready=true]")  # drawn from the offline copy
    fill_harvest(page)
    assert len(held) == 1, "the fresh copy was not asked for"
    held[0].continue_()
    page.wait_for_selector("#field-app[data-fresh=true]", state="attached")
    assert page.input_value("#f-quantity") == "850.50"
    assert page.input_value("#f-product") == PRODUCT
    assert page.input_value("#f-farm") == FARM
    # Tapping the form already shown keeps it, and what is typed in it (no redraw).
    page.evaluate("document.getElementById('field-form-harvest').dataset.probe = 'kept'")
    page.click("#field-kind-harvest")
    page.wait_for_timeout(500)  # a redraw, were there one, reads the queue and lands by then
    assert page.get_attribute("#field-form-harvest", "data-probe") == "kept"
    assert page.input_value("#f-product") == PRODUCT
    code = save_harvest(page)
    assert code.startswith("DT-XOAI-")


def test_a_phone_without_the_members_key_records_nothing_and_points_to_the_key_page(
    phone: BrowserContext, server: SigningServer
) -> None:
    page = phone.new_page()
    page.goto(f"{server.url}/app/login")
    page.fill("#f-username", FOURTH_USER)
    page.fill("#f-password", PASSWORD)
    page.click("form[action='/app/login'] button[type=submit]")
    page.wait_for_url("**/app/keys?setup=1")
    page.wait_for_selector("#key-setup", state="visible")  # the key page has read its storage
    page.goto(f"{server.url}/app/field")
    page.wait_for_selector("#field-app[data-ready]", state="attached")
    assert page.get_attribute("#field-app", "data-ready") == "true", page.text_content("#field-app")
    assert "chưa có khóa ký" in (page.text_content("#field-notice") or "")
    assert page.get_attribute("#field-to-keys", "href") == "/app/keys"
    choose_form(page, "note")
    page.select_option("#f-lot", index=0)
    page.click("#field-save")  # the phone's check: the server's words for a missing lot
    assert page.text_content("#f-lot-err") == message_of("note", "lot", "required")
    assert badge(page) == 0


def test_an_answer_lost_on_the_way_back_is_replayed_on_the_next_sync_not_stored_twice(
    phone: BrowserContext, server: SigningServer
) -> None:
    page = phone.new_page()
    set_up_phone(page, server, THIRD_USER)
    lost: list[int] = []

    def lose_first_signed_answer(route: Any) -> None:
        signed = "x-sentrace-draft" in route.request.headers
        if signed and not lost:
            answer = route.fetch()  # the server stores the harvest and answers...
            lost.append(answer.status)
            route.abort("connectionreset")  # ...and the answer never reaches the phone
        else:
            route.continue_()

    page.route(f"**{BATCH}", lose_first_signed_answer)
    phone.set_offline(True)
    code = record_harvest(page)
    phone.set_offline(False)
    page.click("#field-tab-queue")
    page.click("#field-sync")
    page.wait_for_selector("#field-notice.bad")
    assert lost == [201]
    assert page.get_attribute("#field-queue li", "data-status") == "waiting"
    assert len(events_of(server, code)) == 1

    page.click("#field-sync")
    page.wait_for_selector("#field-queue li[data-status=accepted]")
    assert [e.type.value for e in events_of(server, code)] == ["harvest"]
