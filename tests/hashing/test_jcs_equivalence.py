"""The fast canonical bytes are the ``rfc8785`` package's bytes, for every allowed value."""

from __future__ import annotations

import enum
import re
import unicodedata
from typing import Any

import pytest
import rfc8785
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from backend.hashing import NonCanonicalValue, canonical_bytes, jcs, nfc
from tests.hashing.strategies import ascii_key_documents, documents, respell, texts


def reference(document: Any) -> bytes | None:
    """``rfc8785.dumps`` of the NFC form, or None when the rules refuse the document.

    Refused: keys that collide once NFC-normalised (our ``nfc`` refuses them) and lone
    surrogates (``rfc8785`` refuses them, by its own error or by the codec's).
    """
    try:
        return rfc8785.dumps(nfc(document))
    except (NonCanonicalValue, rfc8785.CanonicalizationError, UnicodeEncodeError):
        return None


@settings(max_examples=250, deadline=None)
@given(documents)
@example({"\ue000": 1, "\U00010000": 2, "a": 3})
@example({"\U0001f96d": {"\uffff": [], "\U00010000": None}})
@example({"k": '\x00\x1f\x7f\b\f\n\r\t"\\/\u2028\ufeff'})
@example({unicodedata.normalize("NFD", "Hợp tác xã"): unicodedata.normalize("NFD", "Mỹ Xương")})
@example({"n": 2**53 - 1, "m": -(2**53 - 1), "z": 0, "t": True, "f": False, "x": None})
def test_fast_canonical_bytes_equal_the_reference_package(document: dict[str, Any]) -> None:
    expected = reference(document)
    if expected is None:
        with pytest.raises(NonCanonicalValue, match=r"same text once NFC|lone surrogate"):
            canonical_bytes(document)
    else:
        assert canonical_bytes(document) == expected


@settings(max_examples=150, deadline=None)
@given(documents)
def test_quick_and_precise_paths_each_equal_the_reference(document: dict[str, Any]) -> None:
    expected = reference(document)
    assume(expected is not None)
    quick = jcs.quick_json(document)
    assert quick is None or quick == expected
    assert jcs._precise(document) == expected


@settings(max_examples=150, deadline=None)
@given(documents, st.sampled_from(["NFC", "NFD", "NFKD"]))
def test_canonical_bytes_do_not_depend_on_the_spelling_of_text(
    document: dict[str, Any], form: str
) -> None:
    expected = reference(document)
    assume(expected is not None)
    if form == "NFKD":  # compatibility forms change text; only check they stay consistent
        respelled = respell(document, form)
        assert canonical_bytes(respelled) == reference(respelled)
    else:
        assert canonical_bytes(respell(document, form)) == expected


@settings(max_examples=200, deadline=None)
@given(ascii_key_documents)
def test_already_canonical_plain_documents_take_the_quick_path(document: dict[str, Any]) -> None:
    assume(reference(document) is not None)
    normalised = nfc(document)
    quick = jcs.quick_json(normalised)
    if quick is None:
        # The one case it may decline: an escaped character (written as ASCII) followed by
        # non-ASCII text, where checking NFC on the output would be too cautious.
        assert _ESCAPED_THEN_NON_ASCII.search(rfc8785.dumps(normalised).decode())
    else:
        assert quick == rfc8785.dumps(normalised)


_ESCAPED_THEN_NON_ASCII = re.compile(r'\\(?:[bfnrt"\\]|u00[01][0-9a-f])[^\x00-\x7f]')


@given(texts)
def test_a_lone_string_or_list_is_canonicalised_like_the_reference_inside_an_object(
    text: str,
) -> None:
    assert canonical_bytes({"v": [text]}) == rfc8785.dumps({"v": [nfc(text)]})


class Colour(enum.StrEnum):
    RED = "đỏ"


class Count(enum.IntEnum):
    TEN = 10


def test_subclasses_and_tuples_hash_as_their_plain_values() -> None:
    document = {Colour.RED: Colour.RED, "n": Count.TEN, "t": ("a", 1), "m": _Frozen({"k": "v"})}
    assert canonical_bytes(document) == '{"m":{"k":"v"},"n":10,"t":["a",1],"đỏ":"đỏ"}'.encode()
    assert canonical_bytes(document) == rfc8785.dumps(nfc(document))


class _Frozen(dict[str, Any]):
    """A dict subclass, as some libraries hand back."""


def test_deep_nesting_beyond_orjson_limit_still_matches_the_reference() -> None:
    nested: Any = "x"
    for _ in range(300):
        nested = [nested]
    assert canonical_bytes({"deep": nested}) == rfc8785.dumps({"deep": nested})


@pytest.mark.slow  # recursion to the interpreter's limit
def test_a_document_that_contains_itself_is_refused() -> None:
    cyclic: dict[str, Any] = {}
    cyclic["self"] = cyclic
    with pytest.raises(NonCanonicalValue, match="nested too deeply"):
        canonical_bytes(cyclic)
