"""Headless Chromium, registered once for the whole suite by tests/conftest.py.

Tests that ask for ``browser`` or ``page`` are marked ``@pytest.mark.browser``; without
Chromium or Playwright they skip locally and fail under CI=true (tests/support/browser.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.support.browser import new_phone_page, running_chromium

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """The shared Chromium (launching costs a second or two, so once per session)."""
    with running_chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh Vietnamese phone page in its own browser context (no shared cookies)."""
    new_page = new_phone_page(browser)
    try:
        yield new_page
    finally:
        new_page.context.close()
