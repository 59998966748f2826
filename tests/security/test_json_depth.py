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
