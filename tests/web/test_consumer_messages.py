"""The consumer catalogues: same keys and placeholders in both languages, and every message
the consumer templates and views ask for exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from backend.i18n import LANGUAGES, catalogue
from backend.models import EventType
from backend.services.verification.verdicts import Verdict

WEB = Path(__file__).resolve().parents[2] / "backend" / "web"
SOURCES = [
    *sorted((WEB / "templates" / "consumer").glob("*.html")),
    WEB / "templates" / "public_base.html",
    *(WEB / "consumer" / f"{name}.py" for name in ("facts", "lot_page", "timeline", "views")),
]


def consumer_messages(language: str) -> dict[str, str]:
    return {k: v for k, v in catalogue(language).items() if k.startswith("consumer.")}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    vi, en = consumer_messages("vi"), consumer_messages("en")
    assert set(vi) == set(en)
    for key in vi:
        assert placeholders(vi[key]) == placeholders(en[key]), key


def test_every_literal_key_used_by_the_page_exists() -> None:
    used: set[str] = set()
    for source in SOURCES:
        used |= set(re.findall(r"""["'](consumer\.[a-z_.]+[a-z_])["']""", source.read_text()))
    assert used, "no message keys found: the pattern no longer matches the sources"
    missing = used - set(consumer_messages("vi"))
    assert not missing


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_verdict_and_event_type_has_words(language: str) -> None:
    messages = consumer_messages(language)
    for verdict in Verdict:
        assert messages[f"consumer.verdict.{verdict}"]
        assert messages[f"consumer.explain.{verdict}"]
    for event_type in EventType:
        assert messages[f"consumer.event_type.{event_type}"]


def test_vietnamese_verdict_words_are_the_agreed_ones() -> None:
    messages = consumer_messages("vi")
    assert [messages[f"consumer.verdict.{v}"] for v in Verdict] == [
        "Đã xác thực",
        "Đang chờ xác thực",
        "Đã thu hồi",
        "Dữ liệu bị thay đổi",
        "Không tìm thấy",
    ]
