"""JSON columns are read with orjson where it can, and must read exactly as ``json.loads``.

Verification re-hashes what it reads, so a decoder that read a stored document differently
would turn an intact record into a tampered one. Within the value space the hashing rules admit
(integers within ±2**53, strings, booleans, null, nested objects and arrays), both decoders
must agree; what orjson refuses (NaN, infinities, lone surrogates) must fall back.
"""

from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.db import load_json_column

SAFE = 2**53 - 1
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-SAFE, max_value=SAFE)
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False)
)
documents = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=8), children, max_size=5)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(documents)
def test_reads_what_the_standard_library_reads(value: object) -> None:
    text = json.dumps(value, ensure_ascii=False)
    assert load_json_column(text) == json.loads(text)
    assert load_json_column(text.encode()) == json.loads(text)


def test_what_orjson_refuses_reads_as_before() -> None:
    for text in ['{"x": NaN}', "[Infinity, -Infinity]", '"\\ud800"', '{"a": 1e400}']:
        expected = json.loads(text)
        got = load_json_column(text)
        assert json.dumps(got) == json.dumps(expected)
    assert math.isnan(load_json_column('{"x": NaN}')["x"])


def test_duplicate_keys_keep_the_last_value_like_the_standard_library() -> None:
    assert load_json_column('{"a": 1, "a": 2}') == json.loads('{"a": 1, "a": 2}') == {"a": 2}
