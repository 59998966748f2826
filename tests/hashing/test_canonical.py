"""The canonical event document (rule 1), event hash and lot key (rule 3)."""

from __future__ import annotations

import copy
import unicodedata
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from eth_utils import keccak as eth_keccak
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from backend.hashing import (
    SCHEMA,
    HashingError,
    NonCanonicalValue,
    canonical_bytes,
    canonical_document,
    canonical_value,
    event_hash,
    lot_key,
    nfc,
    reference,
)
from tests.hashing.strategies import VIETNAMESE, encodable, texts, values

WHEN = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
EVENT_ID = "2f1c8a4e-5b6d-4e7f-8a9b-0c1d2e3f4a5b"


def document(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "event_id": EVENT_ID,
        "lot_code": "DT-XOAI-2026-0001",
        "event_type": "harvest",
        "occurred_at": WHEN,
        "org_slug": "htx-my-xuong",
        "location": {"commune": "Mỹ Xương", "lat": "10.4521", "lon": "105.6331"},
        "data": {"product": "Xoài cát Chu", "quantity": "1250.5", "unit": "kg", "crates": 50},
    }
    fields.update(overrides)
    return canonical_document(**fields)


def nfd(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFD", value)
    if isinstance(value, dict):
        return {nfd(k): nfd(v) for k, v in value.items()}
    if isinstance(value, list):
        return [nfd(v) for v in value]
    return value


def test_document_has_exactly_the_rule_1_fields() -> None:
    doc = document()
    assert doc == {
        "schema": SCHEMA,
        "id": EVENT_ID,
        "lot": "DT-XOAI-2026-0001",
        "type": "harvest",
        "occurred_at": "2026-03-01T08:30:00Z",
        "org": "htx-my-xuong",
        "location": {"commune": "Mỹ Xương", "lat": "10.4521", "lon": "105.6331"},
        "data": {"product": "Xoài cát Chu", "quantity": "1250.5", "unit": "kg", "crates": 50},
    }
    assert SCHEMA == "sentrace/event@1"


def test_canonical_bytes_are_sorted_compact_utf8() -> None:
    assert (
        canonical_bytes(document(location=None))
        == (
            '{"data":{"crates":50,"product":"Xoài cát Chu","quantity":"1250.5","unit":"kg"},'
            f'"id":"{EVENT_ID}","location":null,"lot":"DT-XOAI-2026-0001",'
            '"occurred_at":"2026-03-01T08:30:00Z","org":"htx-my-xuong",'
            '"schema":"sentrace/event@1","type":"harvest"}'
        ).encode()
    )


def test_event_hash_is_keccak_of_the_canonical_bytes() -> None:
    doc = document()
    assert event_hash(doc) == eth_keccak(canonical_bytes(doc)) == reference.event_hash(doc)


def test_occurred_at_is_utc_with_z_and_whole_seconds() -> None:
    saigon = timezone(timedelta(hours=7))
    local = datetime(2026, 3, 1, 15, 30, 59, 999_999, tzinfo=saigon)
    assert document(occurred_at=local)["occurred_at"] == "2026-03-01T08:30:59Z"
    naive = datetime(2026, 3, 1, 8, 30)  # as SQLite hands it back: UTC without a zone
    assert document(occurred_at=naive)["occurred_at"] == "2026-03-01T08:30:00Z"


@pytest.mark.parametrize("text", VIETNAMESE)
def test_nfc_and_nfd_spellings_give_the_same_hash(text: str) -> None:
    composed = unicodedata.normalize("NFC", text)
    decomposed = unicodedata.normalize("NFD", text)
    assert composed != decomposed
    key = f"ghi_chú_{composed}"
    as_nfc = document(
        lot_code=f"LOT-{composed}",
        org_slug=composed,
        location={"xã": composed},
        data={key: composed, "list": [composed, {composed: composed}]},
    )
    plain_nfc = document(location={"commune": composed}, data={"product": [composed]})
    plain_nfd = document(location={"commune": decomposed}, data={"product": [decomposed]})
    assert plain_nfd == plain_nfc
    assert event_hash(plain_nfd) == event_hash(plain_nfc)
    as_nfd = document(
        lot_code=f"LOT-{decomposed}",
        org_slug=decomposed,
        location=nfd({"xã": composed}),
        data=nfd({key: composed, "list": [composed, {composed: composed}]}),
    )
    assert as_nfd == as_nfc
    assert event_hash(as_nfd) == event_hash(as_nfc)
    assert canonical_bytes(nfd(as_nfc)) == canonical_bytes(as_nfc)
    assert lot_key(f"LOT-{decomposed}") == lot_key(f"LOT-{composed}")


def test_lot_key_is_keccak_of_the_nfc_utf8_lot_code() -> None:
    assert lot_key("DT-XOAI-2026-0001") == eth_keccak(b"DT-XOAI-2026-0001")
    code = unicodedata.normalize("NFD", "Quýt-hồng-01")
    assert lot_key(code) == eth_keccak(unicodedata.normalize("NFC", code).encode())
    assert lot_key(code) == reference.lot_key(code)


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"dose": 1.5}, "data.dose"),
        ({"dose": float("nan")}, "data.dose"),
        ({"inputs": [{"dose": "1"}, {"dose": 2.0}]}, "data.inputs[1].dose"),
        ({"blob": b"\x00"}, "data.blob"),
        ({"amount": Decimal("1.5")}, "data.amount"),
        ({"when": WHEN}, "data.when"),
        ({"tags": {"a", "b"}}, "data.tags"),
        ({"grams": 2**53}, "data.grams"),
        ({"grams": -(2**53)}, "data.grams"),
        ({"nested": {1: "x"}}, "data.nested"),
        ({"note": "bad \ud800 text"}, "data.note"),
        ({"bad \udfff key": "x"}, "data"),
        ({"xã": 1, unicodedata.normalize("NFD", "xã"): 2}, "data"),
    ],
)
def test_values_outside_the_canonical_space_are_refused_with_their_path(
    data: dict[Any, Any], path: str
) -> None:
    with pytest.raises(NonCanonicalValue) as caught:
        document(data=data)
    assert caught.value.path == path
    assert str(caught.value).startswith(f"{path}: ")
    with pytest.raises(NonCanonicalValue):
        canonical_bytes({"data": data})


def test_the_largest_safe_integers_are_accepted() -> None:
    doc = document(data={"max": 2**53 - 1, "min": -(2**53 - 1)})
    assert canonical_bytes(doc) == reference.canonical_bytes(doc)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("event_id", "2F1C8A4E-5B6D-4E7F-8A9B-0C1D2E3F4A5B"),
        ("event_id", "2f1c8a4e5b6d4e7f8a9b0c1d2e3f4a5b"),
        ("event_id", uuid.UUID(EVENT_ID)),
        ("lot_code", ""),
        ("lot_code", 7),
        ("event_type", None),
        ("org_slug", ""),
        ("occurred_at", "2026-03-01T08:30:00Z"),
        ("occurred_at", datetime(999, 1, 1, tzinfo=UTC)),
        ("location", ["not", "an", "object"]),
        ("data", None),
    ],
)
def test_malformed_top_level_fields_are_refused(field: str, value: Any) -> None:
    with pytest.raises(NonCanonicalValue) as caught:
        document(**{field: value})
    expected = {"event_id": "id", "lot_code": "lot", "event_type": "type", "org_slug": "org"}
    assert caught.value.path == expected.get(field, field)


def test_errors_are_value_errors_under_one_root() -> None:
    assert issubclass(NonCanonicalValue, HashingError)
    assert issubclass(HashingError, ValueError)


def test_canonical_bytes_refuse_a_non_object() -> None:
    with pytest.raises(NonCanonicalValue):
        canonical_bytes(["not", "a", "document"])  # type: ignore[arg-type]


def test_canonical_value_returns_a_normalised_copy_and_leaves_the_input_alone() -> None:
    raw = {"ghi_chú": [unicodedata.normalize("NFD", "Đồng Tháp")], "n": 1}
    before = copy.deepcopy(raw)
    result = canonical_value(raw, path="data")
    assert raw == before
    assert result == {"ghi_chú": ["Đồng Tháp"], "n": 1}
    assert result["ghi_chú"] is not raw["ghi_chú"]


def test_nfc_normalises_keys_and_leaves_other_values_alone() -> None:
    value = {unicodedata.normalize("NFD", "hồng"): (1.5, None, unicodedata.normalize("NFD", "ổi"))}
    assert nfc(value) == {"hồng": [1.5, None, "ổi"]}


# --- any change to a field changes the hash -------------------------------------------------


def _leaf_paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [prefix] + [p for k, v in value.items() for p in _leaf_paths(v, (*prefix, k))]
    if isinstance(value, list):
        return [prefix] + [p for i, v in enumerate(value) for p in _leaf_paths(v, (*prefix, i))]
    return [prefix]


def _changed(value: Any) -> Any:
    """A value that differs from ``value`` whatever the normal form."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value - 1 if value > 0 else value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, list):
        return [*value, None]
    return {**value, "\u0000added": None}


def _replace(doc: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copied = copy.copy(doc)
    copied[path[0]] = _replace(doc[path[0]], path[1:], new)
    return copied


def _rename_key(doc: Any, path: tuple[Any, ...]) -> Any:
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    old = path[-1]
    renamed = {(k + "x" if k == old else k): v for k, v in parent.items()}
    return _replace(doc, path[:-1], renamed)


lot_codes = st.sampled_from(["DT-XOAI-2026-0001", "LV-QUYT-01", "Sen-Tháp-Mười-7"])


def _document_or_reject(**fields: Any) -> dict[str, Any]:
    """The document of ``fields``, or a rejected example when the rules refuse them (two
    keys equal once NFC-normalised, say): this strategy is for documents that exist."""
    try:
        return canonical_document(**fields)
    except NonCanonicalValue:
        reject()


event_documents = st.builds(
    _document_or_reject,
    event_id=st.uuids().map(str),
    lot_code=lot_codes,
    event_type=st.sampled_from(["harvest", "input_application", "transfer", "recall"]),
    occurred_at=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    org_slug=st.sampled_from(["htx-my-xuong", "dong-thap-packers"]),
    location=st.none() | st.dictionaries(st.sampled_from(["commune", "lat", "lon"]), texts),
    data=st.dictionaries(st.text(encodable, max_size=6), values, max_size=5),
)


@settings(max_examples=60, deadline=None)
@given(event_documents)
def test_changing_any_value_or_key_changes_the_event_hash(doc: dict[str, Any]) -> None:
    original = event_hash(doc)
    for path in _leaf_paths(doc):
        if not path:
            continue
        assert event_hash(_replace(doc, path, _changed(_get(doc, path)))) != original, path
        if isinstance(path[-1], str) and path[-1] + "x" not in _get(doc, path[:-1]):
            assert event_hash(_rename_key(doc, path)) != original, path


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        doc = doc[step]
    return doc


@settings(max_examples=60, deadline=None)
@given(event_documents)
def test_documents_built_by_canonical_document_hash_as_the_reference(doc: dict[str, Any]) -> None:
    assert event_hash(doc) == reference.event_hash(doc)
