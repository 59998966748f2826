"""The lot page checks the record in the consumer's own browser, against a real anvil.

An untouched lot (with two ancestors) reads verified in Chromium, beside the server's verdict.
Then the proof bundle the page downloads is intercepted and forged three ways (one document's
field edited, the newest document dropped, the registry address swapped): each time the
browser's verdict is not verified and names the reason, while the server, untouched, still
says verified, and the page says prominently that the two disagree. With the RPC endpoint
unreachable the page says the browser check could not run, and the server's verdict stays.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from backend.hashing import canonical_bytes, keccak, to_hex
from tests.browser.check_server import CheckServer, check_server
from tests.support.browser import patient

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route

pytestmark = [pytest.mark.browser, pytest.mark.anvil]

Bundle = dict[str, Any]
CHECK_TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CheckServer]:
    with check_server(tmp_path_factory.mktemp("browser-check")) as running:
        yield running


def _open(page: Page, url: str) -> tuple[str, dict[str, str | None]]:
    """The server's verdict and the browser panel's outcome once the check has finished."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    # A selector, not a predicate: the page's CSP forbids the eval a predicate would need.
    finished = "html[data-browser-check=done], html[data-browser-check=not-run]"
    page.locator(finished).wait_for(state="attached", timeout=CHECK_TIMEOUT_MS)
    assert errors == []
    panel = page.locator("#browser-check")
    found = {
        "state": panel.get_attribute("data-state"),
        "verdict": panel.get_attribute("data-verdict"),
        "agrees": panel.get_attribute("data-agrees"),
        "why": panel.get_attribute("data-why"),
        "heading": panel.locator("h2").inner_text(),
        "text": panel.inner_text(),
    }
    return str(page.locator("#verdict").get_attribute("data-verdict")), found


def _forge(page: Page, change: Callable[[Bundle], None]) -> None:
    """Serve the page a bundle changed by ``change`` in place of the real one."""

    def handle(route: Route) -> None:
        response = route.fetch()
        bundle = response.json()
        change(bundle)
        route.fulfill(response=response, body=json.dumps(bundle, ensure_ascii=False))

    page.route("**/api/v1/lots/*/proof", handle)


def _reasons(page: Page) -> list[str]:
    return page.locator("#browser-check [data-reason]").evaluate_all(
        "items => items.map(item => item.dataset.reason)"
    )


def _events_of(bundle: Bundle, code: str) -> list[dict[str, Any]]:
    return [entry for entry in bundle["events"] if entry["lot"] == code]


def test_an_untouched_lot_and_its_ancestors_read_verified_in_the_browser(
    server: CheckServer, page: Page
) -> None:
    server_verdict, panel = _open(page, server.lot_url())

    assert server_verdict == "verified"
    assert panel["state"] == "done" and panel["verdict"] == "verified"
    assert panel["agrees"] == "yes" and _reasons(page) == []
    assert panel["heading"] == "Đã kiểm tra trên điện thoại của bạn"
    assert server.node.url.removeprefix("http://") in str(panel["text"])
    assert "3 lô" in str(panel["text"])  # the lot and both ancestors were checked


def test_the_panel_speaks_english_on_the_english_page(server: CheckServer, page: Page) -> None:
    _, panel = _open(page, server.lot_url() + "?lang=en")

    assert panel["heading"] == "Checked on your phone" and panel["verdict"] == "verified"


def test_an_edited_document_is_caught_by_the_browser_while_the_server_says_verified(
    server: CheckServer, page: Page
) -> None:
    def edit(bundle: Bundle) -> None:
        # A consistent forgery: the document, its bytes and its hash all say the new quantity.
        entry = _events_of(bundle, server.lineage.ancestors[0])[1]
        document = entry["document"]
        document["data"]["text"] = "Sơ chế, phân loại (đã sửa)"
        raw = canonical_bytes(document)
        digest = to_hex(keccak(raw))
        entry.update(canonical_json=raw.decode(), canonical_hex=to_hex(raw), event_hash=digest)

    _forge(page, edit)
    server_verdict, panel = _open(page, server.lot_url())

    assert server_verdict == "verified"
    assert panel["verdict"] == "tampered" and panel["agrees"] == "no"
    assert "edited" in _reasons(page)
    assert "KHÔNG đồng ý với máy chủ" in str(panel["text"])
    # Said prominently: the panel now stands above the server's verdict.
    assert page.locator("main > section").first.get_attribute("id") == "browser-check"


def test_a_document_field_changed_beside_its_bytes_is_caught_too(
    server: CheckServer, page: Page
) -> None:
    def edit(bundle: Bundle) -> None:
        _events_of(bundle, server.lineage.lot)[-1]["document"]["occurred_at"] = (
            "2026-05-01T00:00:00Z"
        )

    _forge(page, edit)
    server_verdict, panel = _open(page, server.lot_url())

    assert (server_verdict, panel["verdict"]) == ("verified", "tampered")
    assert _reasons(page) == ["edited"]


def test_dropping_the_newest_document_is_caught_as_a_head_mismatch(
    server: CheckServer, page: Page
) -> None:
    def drop(bundle: Bundle) -> None:
        newest = _events_of(bundle, server.lineage.lot)[-1]
        bundle["events"].remove(newest)

    _forge(page, drop)
    server_verdict, panel = _open(page, server.lot_url())

    assert (server_verdict, panel["verdict"]) == ("verified", "tampered")
    assert "missing_newest" in _reasons(page)
    assert "Thiếu sự kiện mới nhất" in str(panel["text"])


def test_a_document_dropped_from_the_middle_breaks_the_chain_of_events(
    server: CheckServer, page: Page
) -> None:
    def drop(bundle: Bundle) -> None:
        bundle["events"].remove(_events_of(bundle, server.lineage.lot)[1])

    _forge(page, drop)
    server_verdict, panel = _open(page, server.lot_url())

    assert (server_verdict, panel["verdict"]) == ("verified", "tampered")
    assert _reasons(page) == ["missing"]


def test_an_ancestor_left_out_is_caught_as_ancestry_not_matching(
    server: CheckServer, page: Page
) -> None:
    grandparent = server.lineage.ancestors[-1]

    def drop(bundle: Bundle) -> None:
        bundle["events"] = [e for e in bundle["events"] if e["lot"] != grandparent]
        bundle["lots"] = [lot for lot in bundle["lots"] if lot["code"] != grandparent]

    _forge(page, drop)
    server_verdict, panel = _open(page, server.lot_url())

    assert (server_verdict, panel["verdict"]) == ("verified", "tampered")
    assert _reasons(page) == ["ancestry"]


def test_a_bundle_naming_another_registry_is_refused(server: CheckServer, page: Page) -> None:
    def swap(bundle: Bundle) -> None:
        bundle["chain"]["contract_address"] = "0x" + "42" * 20

    _forge(page, swap)
    server_verdict, panel = _open(page, server.lot_url())

    assert (server_verdict, panel["verdict"]) == ("verified", "tampered")
    assert _reasons(page) == ["contract"]


def test_with_the_rpc_unreachable_the_browser_check_says_it_could_not_run(
    server: CheckServer, page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = "http://127.0.0.1:9"  # the discard port: nothing listens there
    settings = server.runtime.settings.model_copy(update={"public_rpc_urls": dead})
    monkeypatch.setattr(server.runtime, "settings", settings)

    server_verdict, panel = _open(page, server.lot_url())

    assert server_verdict == "verified"
    assert panel["state"] == "not-run" and panel["why"] == "unreachable"
    assert panel["verdict"] is None and panel["heading"] != "Đã kiểm tra trên điện thoại của bạn"
    assert "Không kiểm tra được trên điện thoại" in str(panel["text"])
    assert "127.0.0.1:9" in str(panel["text"])


def test_the_next_endpoint_is_tried_when_the_first_does_not_answer(
    server: CheckServer, page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    urls = f"http://127.0.0.1:9,{server.node.url}"
    settings = server.runtime.settings.model_copy(update={"public_rpc_urls": urls})
    monkeypatch.setattr(server.runtime, "settings", settings)

    _, panel = _open(page, server.lot_url())

    assert panel["verdict"] == "verified"
    assert server.node.url.removeprefix("http://") in str(panel["text"])


def test_without_javascript_the_page_is_the_servers_verdict_alone(
    server: CheckServer, browser: Any
) -> None:
    context = patient(browser.new_context(java_script_enabled=False, locale="vi-VN"))
    try:
        page = context.new_page()
        page.goto(server.lot_url())
        assert page.locator("#verdict").get_attribute("data-verdict") == "verified"
        assert page.locator("#browser-check").is_hidden()
    finally:
        context.close()


def test_the_lot_pages_policy_allows_its_rpc_origin_and_scripts_from_itself_only(
    server: CheckServer, page: Page
) -> None:
    refused: list[str] = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    lot = httpx.get(server.lot_url())
    unknown = httpx.get(f"{server.url}/l/NO-SUCH-LOT")

    policy = dict(
        d.strip().split(" ", 1) for d in lot.headers["content-security-policy"].split(";")
    )
    assert policy["connect-src"] == f"'self' {server.node.url}"
    assert policy["script-src"] == "'self'" and policy["default-src"] == "'none'"
    assert "script-src" not in unknown.headers["content-security-policy"]
    assert "connect-src" not in unknown.headers["content-security-policy"]
    # The page's config is data, not script: escaped for HTML by the template.
    assert '<script type="application/json" id="sentrace-browser-check">' in lot.text
    _open(page, server.lot_url())
    assert refused == []


def test_a_bundle_with_a_lot_under_rules_v1_is_not_checked_and_says_so(
    server: CheckServer, page: Page
) -> None:
    """The browser verifies rules v2 alone: a lineage with a rules-v1 lot (here an ancestor, as
    the bundle would name it) is left to the server, never shown as checked or as failed."""

    def older_ancestor(bundle: Bundle) -> None:
        ancestors = [lot for lot in bundle["lots"] if lot["code"] != bundle["lot"]]
        ancestors[0]["rules"] = 1

    _forge(page, older_ancestor)
    server_verdict, panel = _open(page, server.lot_url())

    assert server_verdict == "verified"
    assert panel["state"] == "not-run" and panel["why"] == "unsupported"
    assert panel["verdict"] is None and panel["agrees"] is None
    assert panel["heading"] != "Đã kiểm tra trên điện thoại của bạn"
    assert "quy tắc cũ (v1), chỉ máy chủ kiểm tra được" in str(panel["text"])
