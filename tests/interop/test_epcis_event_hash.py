"""The CBV 2.0 event hash against GS1's reference implementation, and its building blocks."""

from __future__ import annotations

import pytest
from biip.gtin import Gtin

from backend.services.interop.epcis.event_hash import PROOF_MEMBER, event_id, pre_hash, utc_millis
from backend.services.interop.epcis.identifiers import canonical_identifier, check_digit
from tests.interop.epcis_support import EXAMPLES, example, vectors


@pytest.mark.parametrize("name", EXAMPLES)
def test_gs1_examples_hash_as_gs1s_reference_implementation_hashes_them(name: str) -> None:
    document = example(name)
    events = document["epcisBody"]["eventList"]
    got = [event_id(e, document["@context"]) for e in events]
    assert got == vectors()["gs1_examples"][name]


def test_pre_hash_of_gs1s_first_example_event_is_the_reference_string() -> None:
    document = example(EXAMPLES[0])
    first = document["epcisBody"]["eventList"][0]
    assert pre_hash(first, document["@context"]) == vectors()["gs1_example_pre_hash_9_6_1_first"]


def test_each_vector_event_hashes_to_its_published_event_id() -> None:
    data = vectors()
    for item in data["events"]:
        assert event_id(item["event"], data["context"]) == item["event_id"]


def test_the_hash_ignores_event_id_record_time_and_the_sentrace_proof() -> None:
    data = vectors()
    event = data["events"][0]["event"]
    dressed = {
        **event,
        "eventID": "urn:uuid:1",
        "recordTime": "2030-01-01T00:00:00Z",
        PROOF_MEMBER: {"batchRoot": "0x01"},
    }
    assert event_id(dressed, data["context"]) == data["events"][0]["event_id"]


def test_any_change_of_a_hashed_value_changes_the_hash() -> None:
    data = vectors()
    event = data["events"][0]["event"]
    changed = {**event, "bizStep": "shipping"}
    assert event_id(changed, data["context"]) != data["events"][0]["event_id"]


def test_member_order_and_list_order_do_not_change_the_hash() -> None:
    data = vectors()
    event = data["events"][0]["event"]
    reordered = dict(reversed(list(event.items())))
    reordered["quantityList"] = list(reversed(event["quantityList"]))
    assert event_id(reordered, data["context"]) == data["events"][0]["event_id"]


@pytest.mark.parametrize(
    ("uri", "canonical"),
    [
        ("urn:epc:id:sgtin:0614141.107346.2017", "https://id.gs1.org/01/10614141073464/21/2017"),
        ("urn:epc:id:sscc:0614141.1234567890", "https://id.gs1.org/00/106141412345678908"),
        ("urn:epc:id:sgln:0614141.07346.1234", "https://id.gs1.org/414/0614141073467/254/1234"),
        ("urn:epc:id:sgln:0614141.00777.0", "https://id.gs1.org/414/0614141007776"),
        (
            "urn:epc:class:lgtin:4012345.012345.998877",
            "https://id.gs1.org/01/04012345123456/10/998877",
        ),
        ("urn:epc:idpat:sgtin:4012345.098765.*", "https://id.gs1.org/01/04012345987652"),
        (
            "https://example.com/01/9506000134352/10/L1/21/7?x=1",
            "https://id.gs1.org/01/09506000134352/21/7",
        ),
        ("https://sentrace.example/l/DT-1", "https://sentrace.example/l/DT-1"),
        ("geo:10.45,105.63", "geo:10.45,105.63"),
    ],
)
def test_identifiers_become_canonical_digital_link(uri: str, canonical: str) -> None:
    assert canonical_identifier(uri) == canonical


@pytest.mark.parametrize("body", ["893500000001", "1061414107346", "061414100777", "7"])
def test_check_digit_agrees_with_biip(body: str) -> None:
    number = body + check_digit(body)
    assert Gtin.parse(number.zfill(14)).check_digit == int(number[-1])


@pytest.mark.parametrize(
    ("stamp", "utc"),
    [
        ("2005-04-03T20:33:31.116000-06:00", "2005-04-04T02:33:31.116Z"),
        ("2026-05-01T06:30:00+07:00", "2026-04-30T23:30:00.000Z"),
        ("2023-01-18T11:04:03.1415Z", "2023-01-18T11:04:03.142Z"),
        ("2023-01-18T11:04:03.1414Z", "2023-01-18T11:04:03.141Z"),
        ("2023-12-31T23:59:59.9996Z", "2024-01-01T00:00:00.000Z"),
    ],
)
def test_timestamps_are_utc_with_milliseconds_rounded_half_up(stamp: str, utc: str) -> None:
    assert utc_millis(stamp) == utc


def test_a_time_without_a_utc_equivalent_is_kept_as_written_not_a_crash() -> None:
    assert utc_millis("9999-12-31T23:59:59-14:00") == "9999-12-31T23:59:59-14:00"


def test_a_broken_url_is_not_a_digital_link() -> None:
    assert canonical_identifier("http://[::1") == "http://[::1"
