"""The operator app's messages: both languages say everything, and every key used exists."""

from __future__ import annotations

import re
from pathlib import Path

from backend.i18n import catalogue

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    *sorted((ROOT / "backend/web/templates/app").glob("*.html")),
    *sorted((ROOT / "backend/web/operator").glob("*.py")),
]
#: Literal keys only: ``t("app.lot.title")``; keys built at run time are checked by the pages.
LITERAL_KEY = re.compile(r"""\bt\(\s*["']((?:app|common)\.[a-z0-9_.]*[a-z0-9_])["']""")


def _app_keys(language: str) -> set[str]:
    return {key for key in catalogue(language) if key.startswith("app.")}


def test_vietnamese_and_english_have_the_same_keys() -> None:
    assert _app_keys("vi") == _app_keys("en")


def test_every_literal_key_in_templates_and_routers_exists() -> None:
    used = {
        match.group(1)
        for path in SOURCES
        for match in LITERAL_KEY.finditer(path.read_text(encoding="utf-8"))
    }
    assert len(used) > 50
    missing = sorted(key for key in used if key not in catalogue("vi"))
    assert missing == []


def test_vietnamese_messages_carry_diacritics() -> None:
    vietnamese = catalogue("vi")
    assert vietnamese["app.login.title"] == "Đăng nhập"
    assert vietnamese["app.nav.farms"] == "Vùng trồng"
