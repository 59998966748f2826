"""Hypothesis against the three parsers of untrusted text: the label URI parser, the hashing
canonicaliser and the label renderer.

The contract in each case is "a result or the module's own error, never anything else": a
``TypeError``, ``RecursionError`` or ``UnicodeError`` escaping from one of these would be a 500
in the consumer resolver, the write API or the label endpoint. Beyond that, the properties an
attacker would like to break: NFC and NFD spellings of Vietnamese must hash alike, and label
text, however hostile, must not be able to inject printer commands into a ZPL file.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
import uuid
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from backend.hashing import HashingError, canonical_bytes, canonical_document, event_hash
from qr import LabelData, LabelError, parse_uri, render_labels
from qr.uri import DigitalLink

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VIETNAMESE = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵĐƯƠ"
)
HOSTILE_BITS = [
    "%2F",
    "%00",
    "%",
    "%zz",
    "..",
    "//",
    "01",
    "10",
    "21",
    "l",
    "\u202e",
    "\u200d",
    "\ufeff",
    "\x00",
    "\ud800",
    "ＡＢＣ",
    "ХОАІ",
    "?",
    "#",
    ";",
    " ",
    "\n",
]

# ---------------------------------------------------------------------------- URI parser

segment = st.one_of(
    st.text(max_size=30),
    st.sampled_from(HOSTILE_BITS),
    st.from_regex(r"[0-9]{1,20}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9._\-]{1,25}", fullmatch=True),
)
paths = st.lists(segment, max_size=8).map(lambda parts: "/" + "/".join(parts))
uris = st.one_of(
    st.text(max_size=200),
    paths,
    st.builds(lambda p: "https://truyxuat.dongthap.vn" + p, paths),
    st.builds(
        lambda s, p: f"{s}://x{p}", st.sampled_from(["ftp", "javascript", "data", ""]), paths
    ),
)


@FUZZ
@given(uri=uris)
def test_the_uri_parser_answers_a_link_or_a_label_error(uri: str) -> None:
    try:
        link = parse_uri(uri)
    except LabelError:
        return
    assert isinstance(link, DigitalLink)
    assert link.lot and link.lot.isascii()  # whatever got through is a valid printable code


# --------------------------------------------------------------------------- canonicaliser

json_like = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=20),
        st.binary(max_size=5),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=8), st.integers()), inner, max_size=4),
        st.tuples(inner, inner),
    ),
    max_leaves=30,
)


def document(data: Any, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "event_id": str(uuid.UUID(int=7)),
        "lot_code": "XOAI-01",
        "event_type": "note",
        "occurred_at": datetime(2026, 5, 2, 8, 0, tzinfo=UTC),
        "org_slug": "htx",
        "location": None,
        "data": data,
        **overrides,
    }
    return canonical_document(**fields)


@FUZZ
@given(data=st.dictionaries(st.text(max_size=10), json_like, max_size=5))
def test_the_canonicaliser_answers_bytes_or_a_hashing_error(data: dict[str, Any]) -> None:
    try:
        raw = canonical_bytes(document(data))
    except HashingError:
        return
    assert raw.decode("utf-8")  # valid UTF-8 JSON text
    assert canonical_bytes(document(data)) == raw  # and deterministic


@FUZZ
@given(value=json_like, label=st.text(max_size=12), code=st.text(max_size=12))
def test_any_field_of_any_type_is_refused_cleanly(value: Any, label: str, code: str) -> None:
    for overrides in (
        {"location": value},
        {"event_type": label},
        {"lot_code": code},
        {"data": value},
    ):
        with contextlib.suppress(HashingError):
            event_hash(document(overrides.pop("data", {}), **overrides))


vietnamese_text = st.text(alphabet=VIETNAMESE + " .,-0123456789", min_size=1, max_size=40)


@FUZZ
@given(key=vietnamese_text, text=vietnamese_text)
def test_nfc_and_nfd_spellings_hash_alike(key: str, text: str) -> None:
    nfc = {unicodedata.normalize("NFC", key): unicodedata.normalize("NFC", text)}
    nfd = {unicodedata.normalize("NFD", key): unicodedata.normalize("NFD", text)}
    assert event_hash(document(nfd)) == event_hash(document(nfc))
    assert event_hash(document({}, org_slug="htx", lot_code="XOAI-01")) == event_hash(
        document({}, org_slug=unicodedata.normalize("NFD", "htx"))
    )


@FUZZ
@given(text=vietnamese_text)
def test_confusable_spellings_do_not_hash_alike(text: str) -> None:
    """NFC is not a confusable fold: a Cyrillic 'о' for a Latin 'o' is another document."""
    latin = text + " o"
    cyrillic = text + " о"  # U+043E
    assert event_hash(document({"t": latin})) != event_hash(document({"t": cyrillic}))


# ------------------------------------------------------------------------------- labels

label_text = st.lists(
    st.one_of(
        st.text(alphabet=VIETNAMESE + " ", min_size=1, max_size=12),
        st.sampled_from(["^XZ", "^XA", "~JA", "\\", "^FD", "~DG", "\u202e", "👩‍🌾", "\t", "\n"]),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=6),
    ),
    min_size=1,
    max_size=20,
).map("".join)
ZPL_COMMAND = re.compile(r"\^(XA|XZ)")


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=label_text, name_en=st.none() | label_text, commune=st.none() | label_text)
def test_hostile_label_text_renders_or_is_refused_and_never_injects_zpl(
    name: str, name_en: str | None, commune: str | None
) -> None:
    if not name.strip():
        name = "Xoài" + name
    label = LabelData(
        uri="https://truyxuat.dongthap.vn/l/XOAI-01",
        product_name_vi=name,
        product_name_en=name_en,
        lot_code="XOAI-01",
        commune=commune,
    )
    try:
        rendered = render_labels([label, label], layout="thermal-50x30", fmt="zpl")
    except LabelError as exc:
        event(f"refused: {type(exc).__name__}")
        return
    event("rendered")
    text = rendered.content.decode("ascii")
    assert ZPL_COMMAND.findall(text) == ["XA", "XZ", "XA", "XZ"]  # two formats, nothing more
