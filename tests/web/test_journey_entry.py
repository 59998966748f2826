"""A journey entry's HTML is remembered by the exact entry it shows: the same entry renders
once, and any change to what it shows (its verdict, its text, the language, the page it sits
on) is a different entry, rendered afresh and escaped like every value on the page."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from backend.web.consumer.journey_entry import journey_entry
from backend.web.consumer.views import EventView

ENTRY = EventView(
    type="note",
    lot_code="LO-1",
    occurred_at=datetime(2026, 5, 1, 6, 30, tzinfo=UTC),
    occurred_at_iso="2026-05-01T06:30:00Z",
    type_label="Ghi chú",
    verdict_label="Đã xác minh",
    actor="HTX Mỹ Xương",
    place=None,
    details=("Tỉa cành",),
    verdict="verified",
    reason=None,
    anchored_at=datetime(2026, 5, 1, 7, 0, tzinfo=UTC),
)


def test_the_same_entry_is_rendered_once_and_a_changed_one_again() -> None:
    journey_entry.cache_clear()
    first = journey_entry(ENTRY, "LO-1", "vi", 72)
    again = journey_entry(replace(ENTRY), "LO-1", "vi", 72)  # equal, not the same object
    assert again is first and journey_entry.cache_info().hits == 1
    tampered = replace(ENTRY, verdict="tampered", verdict_label="Bị sửa", reason="Bị sửa sau")
    changed = journey_entry(tampered, "LO-1", "vi", 72)
    assert 'data-verdict="tampered"' in changed and "Bị sửa sau" in changed
    assert 'data-verdict="verified"' in first and "Bị sửa sau" not in first
    assert journey_entry.cache_info().misses == 2


def test_language_page_and_policy_are_part_of_what_is_remembered() -> None:
    vi = journey_entry(ENTRY, "LO-1", "vi", 72)
    en = journey_entry(ENTRY, "LO-1", "en", 72)
    assert vi != en
    on_child_page = journey_entry(ENTRY, "LO-1-A", "vi", 72)
    assert "LO-1" in on_child_page and on_child_page != vi  # names the ancestor lot
    late = replace(ENTRY, recorded_late=True)
    assert "72" in journey_entry(late, "LO-1", "vi", 72)
    assert "96" in journey_entry(late, "LO-1", "vi", 96)


def test_an_entry_is_escaped() -> None:
    hostile = replace(ENTRY, actor="<script>alert(1)</script>", details=('"><img src=x>',))
    html = journey_entry(hostile, "LO-1", "vi", 72)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '"><img' not in html and "&#34;&gt;&lt;img" in html
