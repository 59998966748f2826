"""Headless Debian Chromium driven by Playwright's Python package, for browser tests.

The browser is the distribution's ``chromium`` (found by ``components.chromium_binary()``),
never one Playwright downloads: a test run must not fetch a browser. Each launch gets a fresh
profile folder (Playwright creates a throw-away user-data-dir for ``launch``), every switch
that would make the browser phone home is off, and each test gets its own context, so
cookies and storage never leak from one test to the next.

The ``browser`` fixture (one browser for the session) and ``page`` (a phone-sized page in a
fresh context, as :func:`new_phone_page` makes) are in tests/support/fixtures_browser.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from tests.support.components import chromium_binary, missing

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
)

#: An ordinary phone (iPhone 12–15 class): the consumer page is designed for this first.
PHONE_VIEWPORT = {"width": 390, "height": 844}


@contextmanager
def running_chromium() -> Iterator[Browser]:
    """One Playwright driver and one headless Chromium, both stopped on leaving.

    Playwright's sync API allows one driver per thread (a second ``sync_playwright()`` while
    the first runs fails), so the suite holds one, through the session-wide ``browser`` fixture.
    """
    executable = chromium_binary()
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - depends on the environment
        missing("playwright (Python package)", "pip install -e '.[dev]'")
        raise
    driver = sync_playwright().start()
    try:
        try:
            launched = driver.chromium.launch(
                executable_path=str(executable), headless=True, args=list(CHROMIUM_ARGS)
            )
        except PlaywrightError as exc:
            missing("a working Chromium", f"{executable} failed to start: {exc}")
            raise
        try:
            yield launched
        finally:
            launched.close()
    finally:
        driver.stop()


ANDROID_CHROME_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
)


#: How long a browser test waits for a navigation, a selector or an action by default.
#: Playwright's 30 s is a lot on an idle machine, but the suite shares two cores with Chromium,
#: the server under test and anvil; a wait that runs out there is a busy machine, not a bug.
PATIENCE_MS = 90_000


def patient(context: BrowserContext) -> BrowserContext:
    """``context`` with :data:`PATIENCE_MS` as its default timeouts."""
    context.set_default_timeout(PATIENCE_MS)
    context.set_default_navigation_timeout(PATIENCE_MS)
    return context


def new_phone_page(browser: Browser, *, locale: str = "vi-VN") -> Page:
    """A page in a new context that looks like a phone browser set to ``locale``.

    ``locale`` also sets the Accept-Language header, which is how the consumer page picks
    its language when the URL has no ``?lang=``. Close it with ``page.context.close()``.
    """
    context = browser.new_context(
        viewport=PHONE_VIEWPORT,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale=locale,
        user_agent=ANDROID_CHROME_UA,
    )
    return patient(context).new_page()
