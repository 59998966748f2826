"""Reading stored bytes of a document v2: only its own canonical form, only the v2 shape."""

from __future__ import annotations

import json
from typing import Any

import pytest

from backend.hashing import NonCanonicalValue, canonical_bytes, keccak, read_document, to_hex
from backend.hashing.jcs import canonical_json
from tests.hashing.documents_v2 import document

PREV = to_hex(keccak(b"previous"))


def stored(**overrides: Any) -> bytes:
    return canonical_bytes(document(**overrides))


@pytest.mark.parametrize(
    "respelled",
    [
        lambda raw: json.dumps(json.loads(raw), ensure_ascii=False).encode("utf-8"),  # spaces
        lambda raw: json.dumps(json.loads(raw), ensure_ascii=True, separators=(",", ":")).encode(),
        lambda raw: raw.replace(b'{"data":', b'{"data":', 1) + b"\n",
        lambda raw: raw.replace(b'"crates":50', b'"crates":50.0'),
        lambda raw: raw.replace(b'"crates":50', b'"crates":5e1'),
        lambda raw: raw.replace(b'"crates":50', b'"crates":50,"crates":50'),
        lambda raw: raw.replace("Loại".encode(), "Loa\u0323i".encode()),  # NFD
        lambda raw: b'{"schema":' + raw[1:],  # not JSON
    ],
)
def test_bytes_that_are_not_their_own_canonical_form_are_refused(respelled: Any) -> None:
    raw = stored()
    assert read_document(raw)
    with pytest.raises(NonCanonicalValue):
        read_document(respelled(raw))


def reshaped(change: Any, **overrides: Any) -> bytes:
    """Canonical bytes of a document v2 altered after building (as a forger could write it)."""
    doc = document(**overrides)
    change(doc)
    return canonical_json(doc)


@pytest.mark.parametrize(
    ("change", "overrides", "path"),
    [
        (lambda d: d.update(schema="sentrace/event@1"), {}, "schema"),
        (lambda d: d.pop("org_name"), {}, ""),
        (lambda d: d.update(extra=1), {}, ""),
        (lambda d: d.update(prev=PREV), {}, "prev"),
        (lambda d: d.update(prev=None), {"seq": 2}, "prev"),
        (lambda d: d.update(prev=PREV.upper()), {"seq": 2}, "prev"),
        (lambda d: d.update(seq=0), {}, "seq"),
        (lambda d: d.update(seq=True), {}, "seq"),
        (lambda d: d.pop("lot_facts"), {}, "lot_facts"),
        (lambda d: d.update(lot_facts=document()["lot_facts"]), {"seq": 2}, "lot_facts"),
        (lambda d: d.update(parents=[{"lot": "P", "event_hash": PREV}]), {"seq": 2}, "parents"),
        (lambda d: d.update(parents=[]), {}, "parents"),
        (
            lambda d: d.update(
                parents=[{"lot": "B", "event_hash": PREV}, {"lot": "A", "event_hash": PREV}]
            ),
            {},
            "parents",
        ),
        (lambda d: d.update(parents=[{"lot": "A"}]), {}, "parents[0]"),
        (lambda d: d.update(occurred_at="2026-02-30T00:00:00Z"), {}, "occurred_at"),
        (lambda d: d.update(occurred_at="2026-03-01T08:30:00.5Z"), {}, "occurred_at"),
        (lambda d: d.update(occurred_at="2026-03-01T08:30:00+07:00"), {}, "occurred_at"),
        (lambda d: d.update(id="2F1C8A4E-5B6D-4E7F-8A9B-0C1D2E3F4A5B"), {}, "id"),
        (lambda d: d.update(data=[]), {}, "data"),
        (lambda d: d.update(location="Mỹ Xương"), {}, "location"),
        (lambda d: d["lot_facts"]["farm"].update(point="10.45,105.6"), {}, "lot_facts.farm.point"),
        (
            lambda d: d["lot_facts"]["farm"].update(name={"commitment": PREV.upper()}),
            {},
            "lot_facts.farm.name",
        ),
        (lambda d: d["lot_facts"]["product"].pop("gtin"), {}, "lot_facts.product"),
    ],
)
def test_documents_of_another_shape_are_refused_with_the_member_named(
    change: Any, overrides: dict[str, Any], path: str
) -> None:
    with pytest.raises(NonCanonicalValue) as caught:
        read_document(reshaped(change, **overrides))
    assert caught.value.path == path


def test_a_v1_document_is_not_read_as_v2() -> None:
    with pytest.raises(NonCanonicalValue):
        read_document(b'{"data":{},"id":"x","lot":"L","schema":"sentrace/event@1"}')


def test_a_non_object_is_refused() -> None:
    with pytest.raises(NonCanonicalValue, match="object"):
        read_document(b"[]")
