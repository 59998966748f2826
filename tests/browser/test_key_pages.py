"""The key page in Chromium: a browser-held key set up on first sign-in, backed up, rotated,
imported from an eth-account keystore file, and a write refused in Vietnamese without one.

Each test has its own browser context (its own IndexedDB and sessionStorage), so "this
browser" starts without a key every time; the server is shared by the module, so each test
signs in as its own person or reads only the keys it made.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from sqlmodel import Session, col, select

from backend.models import (
    ChainAction,
    ChainActionKind,
    Event,
    KeyStatus,
    Lot,
    Organisation,
    OrgKey,
    User,
)
from backend.services.accounts.org_keys import keys_of
from tests.browser.signing_server import (
    COOP_SLUG,
    COOP_USER,
    FOURTH_USER,
    PASSWORD,
    REGULATOR_USER,
    SECOND_USER,
    THIRD_USER,
    SigningServer,
    signing_server,
)
from tests.support.browser import new_phone_page

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser]

PASSPHRASE = "mật khẩu của anh Tư"
NEW_PASSPHRASE = "mật khẩu mới, năm 2026"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SigningServer]:
    yield from signing_server(tmp_path_factory.mktemp("key-pages"))


def sign_in(page: Page, server: SigningServer, username: str) -> None:
    page.goto(f"{server.url}/app/login")
    page.fill("#f-username", username)
    page.fill("#f-password", PASSWORD)
    page.click("form[action='/app/login'] button[type=submit]")


def create_key(page: Page, passphrase: str = PASSPHRASE) -> str:
    """Creates a key on the key page; returns its address once the server registered it."""
    page.wait_for_selector("#key-create", state="visible")
    page.fill("#create-passphrase", passphrase)
    page.fill("#create-passphrase-again", passphrase)
    page.click("#key-create button[type=submit]")
    page.wait_for_url("**/app/keys?done=key_registered")
    page.wait_for_selector("#key-here", state="visible")
    return page.text_content("#key-here-address") or ""


def keys_by_address(server: SigningServer) -> dict[str, OrgKey]:
    with Session(server.runtime.engine) as session:
        org = session.exec(select(Organisation).where(Organisation.slug == COOP_SLUG)).one()
        return {key.address: key for key in keys_of(session, org)}


def user_id(server: SigningServer, username: str) -> int | None:
    with Session(server.runtime.engine) as session:
        user = session.exec(select(User).where(User.username == username)).one()
        return user.id


def test_first_sign_in_sets_up_a_key_backs_it_up_and_rotates_it(
    page: Page, server: SigningServer, tmp_path: Path
) -> None:
    sign_in(page, server, COOP_USER)
    page.wait_for_url("**/app/keys?setup=1")
    assert "tạo khóa ký mới" in (page.text_content("main") or "")

    address = create_key(page)
    assert page.text_content("#key-here-status") == "Chờ ghi lên chuỗi"
    registered = keys_by_address(server)[address]
    assert registered.custody == "browser"
    assert registered.status == KeyStatus.PENDING
    assert registered.created_by_user_id == user_id(server, COOP_USER)
    assert page.locator(f"tr.key-row[data-address='{address}']").count() == 1

    with page.expect_download() as download:
        page.click("#key-download")
    backup = tmp_path / "backup.json"
    download.value.save_as(backup)
    keystore = json.loads(backup.read_text(encoding="utf-8"))
    assert Account.from_key(Account.decrypt(keystore, PASSPHRASE)).address == address

    page.fill("#rotate-passphrase", NEW_PASSPHRASE)
    page.fill("#rotate-passphrase-again", NEW_PASSPHRASE)
    page.click("#key-rotate button[type=submit]")
    page.wait_for_url("**/app/keys?done=key_rotated")
    page.wait_for_selector("#key-here", state="visible")
    rotated = page.text_content("#key-here-address")
    assert rotated and rotated != address
    keys = keys_by_address(server)
    assert keys[address].status == KeyStatus.REVOKED
    assert keys[rotated].status == KeyStatus.PENDING


def test_a_keystore_made_by_eth_account_is_imported_and_registered(
    page: Page, server: SigningServer, tmp_path: Path
) -> None:
    account = Account.create()
    file = tmp_path / "backup.json"
    file.write_text(json.dumps(Account.encrypt(account.key, PASSPHRASE)), encoding="utf-8")
    sign_in(page, server, SECOND_USER)
    page.wait_for_url("**/app/keys?setup=1")

    page.set_input_files("#import-file", str(file))
    page.fill("#import-passphrase", PASSPHRASE + " sai")
    page.click("#key-import button[type=submit]")
    page.wait_for_selector("#key-import .form-message:has-text('Sai mật khẩu')")
    assert account.address not in keys_by_address(server)

    page.fill("#import-passphrase", PASSPHRASE)
    page.click("#key-import button[type=submit]")
    page.wait_for_url("**/app/keys?done=key_registered")
    page.wait_for_selector("#key-here", state="visible")
    assert page.text_content("#key-here-address") == account.address
    assert keys_by_address(server)[account.address].created_by_user_id == user_id(
        server, SECOND_USER
    )


def test_a_write_form_in_a_browser_without_a_key_is_refused_in_vietnamese(
    page: Page, server: SigningServer
) -> None:
    sign_in(page, server, COOP_USER)
    page.wait_for_url("**/app/keys?setup=1")
    page.goto(f"{server.url}/app/lots/new")
    banner = page.locator(".sign-missing")
    banner.wait_for()
    assert "chưa có khóa ký" in (banner.text_content() or "")
    page.select_option("#f-product", index=1)
    page.select_option("#f-farm", index=1)
    page.fill("#f-quantity", "800")
    page.fill("#f-harvested_at", "2026-05-01T07:30")
    page.click("form[action='/app/lots/new'] button[type=submit]")
    dialog = page.locator("#signing-dialog")
    dialog.wait_for()
    assert "Không thể ghi" in (dialog.text_content() or "")
    assert dialog.locator("a[href='/app/keys']").count() == 1


def fill_harvest(page: Page, server: SigningServer, code: str) -> None:
    page.goto(f"{server.url}/app/lots/new")
    page.wait_for_function("document.documentElement.dataset.signing === 'ready'")
    page.select_option("#f-product", index=1)
    page.select_option("#f-farm", index=1)
    page.fill("#f-quantity", "800")
    page.fill("#f-harvested_at", "2026-05-01T07:30")
    page.fill("#f-code", code)


def test_a_harvest_recorded_through_the_form_is_signed_by_the_browsers_key(
    page: Page, server: SigningServer
) -> None:
    drafts: list[dict[str, object]] = []
    page.on("response", lambda r: drafts.append(r.json()) if r.status == 428 else None)
    sign_in(page, server, THIRD_USER)
    page.wait_for_url("**/app/keys?setup=1")
    address = create_key(page)
    page.click("#key-lock")  # the passphrase is then asked when signing
    page.wait_for_selector("#key-here-lock:has-text('đang khóa')")

    fill_harvest(page, server, "XOAI-K01")
    page.click("form[action='/app/lots/new'] button[type=submit]")
    dialog = page.locator("#signing-dialog")
    dialog.wait_for()
    assert "XOAI-K01" in (dialog.text_content() or "")
    page.fill("#sign-passphrase", "không phải mật khẩu")
    page.click("#sign-confirm")
    page.wait_for_selector("#signing-dialog .field-error:has-text('Sai mật khẩu')")
    page.fill("#sign-passphrase", PASSPHRASE)
    page.click("#sign-confirm")
    page.wait_for_url("**/app/lots/XOAI-K01?ok=lot_created")

    with Session(server.runtime.engine) as session:
        lot = session.exec(select(Lot).where(Lot.code == "XOAI-K01")).one()
        events = session.exec(
            select(Event).where(Event.lot_id == lot.id).order_by(col(Event.seq))
        ).all()
    assert events and all(event.signer == address for event in events)
    sign = drafts[-1]["draft"]["sign"]  # type: ignore[index]
    assert len(sign) == len(events)
    for item, event in zip(sign, events, strict=True):
        typed = item["typed_data"]
        assert typed["message"]["eventHash"] == event.event_hash
        signable = encode_typed_data(full_message=typed)
        assert Account.recover_message(signable, signature=event.signature) == address


@pytest.mark.slow  # a regulator's whole recall in Chromium
def test_a_regulator_signs_a_recall_in_the_browser(browser: Browser, server: SigningServer) -> None:
    coop = new_phone_page(browser)
    regulator = new_phone_page(browser)
    try:
        sign_in(coop, server, FOURTH_USER)
        coop.wait_for_url("**/app/keys?setup=1")
        create_key(coop)
        fill_harvest(coop, server, "XOAI-R01")
        coop.click("form[action='/app/lots/new'] button[type=submit]")
        coop.click("#sign-confirm")
        coop.wait_for_url("**/app/lots/XOAI-R01?ok=lot_created")

        sign_in(regulator, server, REGULATOR_USER)
        regulator.wait_for_url("**/app/keys?setup=1")
        address = create_key(regulator)
        regulator.goto(f"{server.url}/app/lots/XOAI-R01/recall")
        regulator.fill("#f-reason", "Dư lượng Carbendazim vượt ngưỡng (mẫu 17/2026)")
        regulator.click("form[action='/app/lots/XOAI-R01/recall'] button[type=submit]")
        dialog = regulator.locator("#signing-dialog")
        dialog.wait_for()
        assert "Thu hồi lô XOAI-R01" in (dialog.text_content() or "")
        regulator.click("#sign-confirm")
        regulator.wait_for_url("**/app/lots/XOAI-R01?ok=recalled")
    finally:
        coop.context.close()
        regulator.context.close()

    with Session(server.runtime.engine) as session:
        recall = session.exec(
            select(ChainAction).where(ChainAction.kind == ChainActionKind.RECALL)
        ).one()
    assert recall.signer == address
    assert recall.signature and len(recall.signature) == 132
