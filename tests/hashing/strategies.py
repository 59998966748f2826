"""Hypothesis strategies for the canonical value space and for Merkle batches.

The text strategies lean on what breaks canonicalisers: Vietnamese in NFC and NFD, combining
marks in odd orders, control characters and JSON's escape characters, astral characters, and
key pairs that sort differently by UTF-16 code units than by code points (U+E000–U+FFFF against
characters beyond U+FFFF).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from hypothesis import strategies as st

from backend.hashing import MAX_SAFE_INTEGER

VIETNAMESE = (
    "Xoài cát Chu",
    "Quýt hồng Lai Vung",
    "Hợp tác xã Mỹ Xương",
    "Đồng Tháp",
    "Sen Tháp Mười",
    "Nguyễn Thị Ánh Tuyết",
    "phân bón hữu cơ",
    "Bưởi, nhãn, ổi",
    "Ỷ Lan; ễnh ương",
)

TRICKY = (
    "\x00",
    "\x1f",
    "\x7f",
    "\b",
    "\f",
    "\n",
    "\r",
    "\t",
    '"',
    "\\",
    "/",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\ue000",
    "\uf8ff",
    "\uffff",
    "\ufffd",
    "\U00010000",
    "\U0001f96d",  # mango
    "\U0010ffff",
    "\u0301",
    "\u0323",
    "\u0309",
    "e\u0302\u0301",
    "a\u0323\u0306",
    "a\u0306\u0323",
    "\u212b",  # ANGSTROM SIGN, NFC → U+00C5
    "\u0344",  # composition exclusion
    "\u1100\u1161\u11a8",  # conjoining jamo, NFC → 각
    "n\u0303",
)


def _spelling(text: str, form: str) -> str:
    return unicodedata.normalize(form, text) if form else text


vietnamese = st.builds(_spelling, st.sampled_from(VIETNAMESE), st.sampled_from(["", "NFC", "NFD"]))
#: Any character UTF-8 can carry: a lone surrogate is refused by the rules (a test of its own),
#: so a strategy meant to produce valid documents must not draw one.
encodable = st.characters(exclude_categories=("Cs",))
pieces = st.one_of(st.sampled_from(TRICKY), vietnamese, encodable, st.text(encodable, max_size=4))
texts = st.one_of(st.text(encodable, max_size=12), st.lists(pieces, max_size=6).map("".join))
keys = st.one_of(
    st.sampled_from(["a", "b", "lot", "dose", "id", "ghi_chú", "\ue000", "\U00010000", "\uffff"]),
    texts,
)
integers = st.one_of(
    st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER),
    st.sampled_from([0, -1, 1, MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER, 2**31, -(2**63)]).filter(
        lambda n: abs(n) <= MAX_SAFE_INTEGER
    ),
)
scalars = st.one_of(st.none(), st.booleans(), integers, texts)


def values_with(key_strategy: st.SearchStrategy[str]) -> st.SearchStrategy[Any]:
    """Nested JSON-like values whose object keys come from ``key_strategy``."""
    return st.recursive(
        scalars,
        lambda inner: (
            st.lists(inner, max_size=5) | st.dictionaries(key_strategy, inner, max_size=5)
        ),
        max_leaves=30,
    )


values = values_with(keys)
documents = st.dictionaries(keys, values, max_size=8)
ascii_keys = st.text(st.characters(max_codepoint=0x7F), max_size=8)
ascii_key_documents = st.dictionaries(ascii_keys, values_with(ascii_keys), max_size=8)

hashes = st.binary(min_size=32, max_size=32)
batches = st.lists(hashes, min_size=1, max_size=300)


def respell(value: Any, form: str) -> Any:
    """The same value with every string, keys included, rewritten in normal form ``form``."""
    if isinstance(value, str):
        return unicodedata.normalize(form, value)
    if isinstance(value, dict):
        return {respell(k, form): respell(v, form) for k, v in value.items()}
    if isinstance(value, list):
        return [respell(item, form) for item in value]
    return value


def flip_bit(value: bytes, bit: int) -> bytes:
    """``value`` with one bit inverted (``bit`` counted from the first byte's high bit)."""
    as_list = bytearray(value)
    as_list[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(as_list)
