"""The depth check that stands between outside JSON and the recursive standard parser."""

from __future__ import annotations

import json

import pytest

from backend.db import load_json_column
from backend.http.idempotency import fingerprint
from backend.json_depth import MAX_JSON_DEPTH, JsonTooDeep, json_too_deep, loads_bounded


def brackets(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_depth_at_the_limit_passes_and_one_more_is_refused() -> None:
    assert not json_too_deep(brackets(MAX_JSON_DEPTH))
    assert json_too_deep(brackets(MAX_JSON_DEPTH + 1))
    assert loads_bounded(brackets(3)) == [[[]]]
    with pytest.raises(JsonTooDeep):
        loads_bounded(brackets(MAX_JSON_DEPTH + 1))


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"note": "[" * 500 + '\\"{' * 300})
    assert not json_too_deep(text)
    assert loads_bounded(text)["note"].startswith("[[[")


def test_a_deep_body_is_fingerprinted_byte_for_byte_without_parsing() -> None:
    deep = brackets(100_000).encode()
    assert fingerprint("POST", "/api/v1/events/batch", deep) == fingerprint(
        "POST", "/api/v1/events/batch", deep
    )
    assert fingerprint("POST", "/x", b'{"a": 1, "b": 2}') == fingerprint(
        "POST", "/x", b'{"b":2,"a":1}'
    )


def test_a_column_edited_to_nest_past_orjsons_limit_reads_as_its_text() -> None:
    deep = brackets(100_000)
    assert load_json_column(deep) == deep
    assert load_json_column(deep.encode()) == deep
    assert load_json_column(brackets(500)) == json.loads(brackets(500))


def nested(depth: int, leaf: object) -> object:
    """``leaf`` inside ``depth`` alternating arrays and objects, keys full of brackets."""
    value = leaf
    for level in range(depth):
        value = [value, "]]}"] if level % 2 else {'k"]\\': value, "\\\\[": "{{"}
    return value


@pytest.mark.parametrize("ascii_only", [True, False])
def test_escaped_quotes_and_backslashes_in_strings_never_shift_the_count(ascii_only: bool) -> None:
    leaf = ['\\"[[', "\\", '"', "é{[", "\\\\\\"]
    for depth in (MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH):  # the leaf list adds one level
        text = json.dumps(nested(depth, leaf), ensure_ascii=ascii_only)
        assert json_too_deep(text) is (depth + 1 > MAX_JSON_DEPTH)
        assert json_too_deep(text.encode()) is (depth + 1 > MAX_JSON_DEPTH)


def test_a_long_shallow_batch_passes_and_unpaired_openers_count_as_nesting() -> None:
    batch = json.dumps({"events": [{"data": {"note": "[" * 3, "n": i}} for i in range(500)]})
    assert not json_too_deep(batch)
    assert json_too_deep("[" * (MAX_JSON_DEPTH + 1) + "]" * 3)  # never closed: a parser descends
    assert not json_too_deep("]" * 1000)  # nothing opens: a parser fails at once
