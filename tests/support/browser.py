"""Headless Debian Chromium driven by Playwright's Python package, for browser tests.

The browser is the distribution's ``chromium`` (found by ``components.chromium_binary()``),
never one Playwright downloads: a test run must not fetch a browser. Each launch gets a fresh
profile folder (Playwright creates a throw-away user-data-dir for ``launch``), every switch
that would make the browser phone home is off, and each test gets its own context, so
cookies and storage never leak from one test to the next.

Use the ``browser`` fixture for a session-wide browser and ``page`` (or
:func:`new_phone_page`) for a phone-sized page in a fresh context.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.support.components import chromium_binary, missing

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

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


class _SharedChromium:
    """One Playwright driver and one Chromium per test process, however many modules use it.

    Playwright's sync API allows one driver per thread; a second ``sync_playwright()`` while
    the first runs fails. Test modules that import the ``browser`` fixture each get their own
    fixture definition, so the instance is shared here and closed when its last user is done.
    """

    def __init__(self) -> None:
        self._users = 0
        self._driver: Playwright | None = None
        self._browser: Browser | None = None

    def acquire(self) -> Browser:
        if self._browser is None:
            self._browser = self._launch()
        self._users += 1
        return self._browser

    def release(self) -> None:
        self._users -= 1
        if self._users > 0:
            return
        try:
            if self._browser is not None:
                self._browser.close()
        finally:
            self._browser = None
            if self._driver is not None:
                self._driver.stop()
                self._driver = None

    def _launch(self) -> Browser:
        executable = chromium_binary()
        try:
            from playwright.sync_api import Error as PlaywrightError
            from playwright.sync_api import sync_playwright
        except ImportError:  # pragma: no cover - depends on the environment
            missing("playwright (Python package)", "pip install -e '.[dev]'")
            raise
        self._driver = sync_playwright().start()
        try:
            return self._driver.chromium.launch(
                executable_path=str(executable), headless=True, args=list(CHROMIUM_ARGS)
            )
        except PlaywrightError as exc:
            self._driver.stop()
            self._driver = None
            missing("a working Chromium", f"{executable} failed to start: {exc}")
            raise


_SHARED = _SharedChromium()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """The shared Chromium (launching costs a second or two, so once per session)."""
    launched = _SHARED.acquire()
    try:
        yield launched
    finally:
        _SHARED.release()


ANDROID_CHROME_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36"
)


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
    return context.new_page()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh Vietnamese phone page in its own browser context (no shared cookies)."""
    new_page = new_phone_page(browser)
    try:
        yield new_page
    finally:
        new_page.context.close()
