"""The event document v2 (rules v2, item 1): members, seq and prev, lot facts, parents, NFC."""

from __future__ import annotations

import os
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.hashing import (
    SCHEMA_V2,
    NonCanonicalValue,
    canonical_bytes,
    canonical_document,
    check_document_v2,
    commit,
    event_hash,
    farm_facts,
    keccak,
    org_ref,
    read_document,
    reference,
    to_hex,
)
from tests.hashing.documents_v2 import PREV, WHEN, document, facts
from tests.hashing.strategies import VIETNAMESE, documents, respell, texts


def test_a_first_event_has_the_v1_members_plus_seq_prev_org_name_and_lot_facts() -> None:
    doc = document()
    assert doc["schema"] == SCHEMA_V2 == "sentrace/event@2"
    assert set(doc) == {
        *canonical_document(
            event_id=doc["id"],
            lot_code=doc["lot"],
            event_type="harvest",
            occurred_at=WHEN,
            org_slug="htx-my-xuong",
            location=None,
            data={},
        ),
        "seq",
        "prev",
        "org_name",
        "lot_facts",
    }
    assert (doc["seq"], doc["prev"]) == (1, None)
    assert doc["lot_facts"]["harvested_at"] == "2026-03-01T08:30:00Z"
    check_document_v2(doc)


def test_a_later_event_names_the_previous_hash_in_lowercase_hex_and_no_facts() -> None:
    doc = document(seq=2, prev=PREV)
    assert doc["prev"] == to_hex(PREV)
    assert "lot_facts" not in doc and "parents" not in doc
    assert document(seq=2, prev=to_hex(PREV)) == doc
    check_document_v2(doc)


def test_canonical_bytes_and_event_hash_are_v1_s_rules_on_the_v2_document() -> None:
    doc = document()
    raw = canonical_bytes(doc)
    assert raw == reference.canonical_bytes(doc)
    assert event_hash(doc) == keccak(raw) == reference.event_hash(doc)
    assert raw.startswith(b'{"data":') and b'"schema":"sentrace/event@2"' in raw


def test_three_events_form_a_chain_by_prev() -> None:
    first = document()
    second = document(seq=2, prev=event_hash(first), event_type="quality_check")
    third = document(seq=3, prev=event_hash(second), event_type="transfer")
    assert third["prev"] == to_hex(event_hash(second))
    assert second["prev"] == to_hex(event_hash(first))


@pytest.mark.parametrize("seq", [0, -1, True, 1.0, "1", 2**53, None])
def test_seq_is_an_integer_from_one(seq: Any) -> None:
    with pytest.raises(NonCanonicalValue, match=r"^seq"):
        document(seq=seq, prev=PREV, lot_facts=None)


@pytest.mark.parametrize(
    ("seq", "prev", "problem"),
    [
        (1, PREV, "first event of a lot has no previous"),
        (2, None, "names the previous"),
        (2, to_hex(PREV).upper().replace("0X", "0x"), "lowercase"),
        (2, to_hex(PREV)[:-2], "64 lowercase hex"),
        (2, PREV[:31], "32 bytes"),
        (2, PREV.hex(), "0x and 64"),
    ],
)
def test_prev_is_null_exactly_on_the_first_event_and_a_lowercase_hash_after(
    seq: int, prev: Any, problem: str
) -> None:
    with pytest.raises(NonCanonicalValue, match=problem) as caught:
        document(seq=seq, prev=prev, lot_facts=facts() if seq == 1 else None)
    assert caught.value.path == "prev"


def test_lot_facts_are_required_on_the_first_event_and_refused_after() -> None:
    with pytest.raises(NonCanonicalValue, match="states the lot's facts"):
        document(lot_facts=None)
    with pytest.raises(NonCanonicalValue, match="only a lot's first event"):
        document(seq=2, lot_facts=facts())
    with pytest.raises(NonCanonicalValue, match="only a lot's first event names"):
        document(seq=2, parents=[("P-1", PREV)])


def test_parents_are_sorted_by_lot_and_each_lot_is_named_once() -> None:
    doc = document(parents=[("LOT-B", PREV), ("LOT-A", to_hex(keccak(b"a")))])
    assert [p["lot"] for p in doc["parents"]] == ["LOT-A", "LOT-B"]
    assert doc["parents"][1] == {"lot": "LOT-B", "event_hash": to_hex(PREV)}
    with pytest.raises(NonCanonicalValue, match="each lot once"):
        document(parents=[("LOT-A", PREV), ("LOT-A", keccak(b"x"))])
    with pytest.raises(NonCanonicalValue, match="each lot once"):
        document(parents=[])


@pytest.mark.parametrize(
    ("override", "path"),
    [
        ({"gtin": "8930000000012"}, "lot_facts.product.gtin"),
        ({"quantity": "1,5"}, "lot_facts.quantity"),
        ({"quantity": 1.5}, "lot_facts.quantity"),
        ({"unit": ""}, "lot_facts.unit"),
        ({"producer_name": None}, "lot_facts.producer.name"),
        ({"farm": {"code": "MX-01"}}, "lot_facts.farm"),
        ({"harvested_at": datetime(999, 1, 1, tzinfo=UTC)}, "lot_facts.harvested_at"),
    ],
)
def test_malformed_lot_facts_are_refused_with_their_path(
    override: dict[str, Any], path: str
) -> None:
    with pytest.raises(NonCanonicalValue) as caught:
        facts(**override)
    assert caught.value.path == path


def test_a_farm_point_must_be_a_commitment_and_its_name_may_be_one() -> None:
    shown = farm_facts(code="F", name="Trại Tân Bình", commune="Tân Bình", province="Đồng Tháp")
    assert shown["name"] == "Trại Tân Bình" and shown["point"] is None
    with pytest.raises(NonCanonicalValue, match="commitment") as caught:
        farm_facts(
            code="F", name="F", commune="C", province="P", point={"lat": "10.45", "lon": "105.6"}
        )
    assert caught.value.path == "lot_facts.farm.point"


def test_org_ref_is_how_data_names_another_organisation() -> None:
    doc = document(seq=4, data={"to": org_ref("dong-thap-packers", "Đóng gói Đồng Tháp")})
    assert doc["data"]["to"] == {"org": "dong-thap-packers", "name": "Đóng gói Đồng Tháp"}


@pytest.mark.parametrize(("field", "value"), [("org_name", ""), ("org_name", None)])
def test_org_name_is_required_text(field: str, value: Any) -> None:
    with pytest.raises(NonCanonicalValue) as caught:
        document(**{field: value})
    assert caught.value.path == field


@settings(max_examples=60)
@given(st.sampled_from(VIETNAMESE), texts)
def test_nfc_and_nfd_spellings_give_the_same_document(name: str, note: str) -> None:
    def build(form: str) -> dict[str, Any]:
        spell = lambda value: respell(value, form)  # noqa: E731
        try:
            return document(
                org_name=spell(name),
                location={spell("xã"): spell(name)},
                data={"note": spell(note)},
                lot_facts=facts(product_name=spell(name), producer_name=spell(name)),
            )
        except NonCanonicalValue:
            return {}

    nfc, nfd = build("NFC"), build("NFD")
    assert nfc == nfd
    if nfc:
        assert event_hash(nfc) == event_hash(nfd)
        assert unicodedata.is_normalized("NFC", canonical_bytes(nfd).decode("utf-8"))


def test_occurred_at_is_utc_with_z_and_whole_seconds_as_in_v1() -> None:
    local = datetime(2026, 3, 1, 15, 30, 0, 999_999, tzinfo=timezone(timedelta(hours=7)))
    assert document(occurred_at=local)["occurred_at"] == "2026-03-01T08:30:00Z"


def test_plain_nfc_data_is_used_as_given_without_a_copy() -> None:
    data = {"grade": "Loại 1", "boxes": [1, 2]}
    location = {"commune": "Mỹ Xương"}
    doc = document(seq=2, data=data, location=location)
    assert doc["data"] is data and doc["location"] is location


def test_documents_built_for_a_lot_read_back_from_their_bytes() -> None:
    first = document(parents=[("DT-XOAI-2026-0000", PREV)])
    later = document(seq=9, location=None)
    for doc in (first, later):
        assert read_document(canonical_bytes(doc)) == doc


def test_private_values_in_data_are_commitment_objects() -> None:
    phone = commit("0912 345 678", os.urandom(32))
    doc = document(seq=3, data={"contact": phone})
    assert read_document(canonical_bytes(doc))["data"]["contact"] == phone


@settings(max_examples=80)
@given(documents, st.one_of(st.none(), documents), st.integers(1, 40))
def test_every_built_document_reads_back_from_its_bytes_and_hashes_as_the_reference(
    data: dict[str, Any], location: dict[str, Any] | None, seq: int
) -> None:
    try:
        doc = document(seq=seq, data=data, location=location)
    except NonCanonicalValue:
        return  # a value outside the canonical space: refused, as in v1
    check_document_v2(doc)
    raw = canonical_bytes(doc)
    assert read_document(raw) == doc
    assert raw == reference.canonical_bytes(doc)
