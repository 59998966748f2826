"""Validation: GS1's example documents pass SenTrace's capture schema and GS1's own; the
malformed documents the issue names are refused by both, each error named by its path."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from jsonschema import Draft7Validator

from backend.services.interop.epcis.validation import (
    SCHEMA_PATH,
    errors_of,
    is_date_time,
    is_uri,
)
from tests.interop.epcis_support import EXAMPLES, example, gs1_validator

Edit = Callable[[dict[str, Any]], None]


def _drop_context(doc: dict[str, Any]) -> None:
    del doc["@context"]


def _bad_action(doc: dict[str, Any]) -> None:
    doc["epcisBody"]["eventList"][0]["action"] = "ADDED"


def _quantity_as_text(doc: dict[str, Any]) -> None:
    doc["epcisBody"]["eventList"][0]["childQuantityList"][1]["quantity"] = "200.5"


def _bare_word_step(doc: dict[str, Any]) -> None:
    doc["epcisBody"]["eventList"][0]["bizStep"] = "harvesting"


def _unknown_type(doc: dict[str, Any]) -> None:
    doc["epcisBody"]["eventList"][0]["type"] = "HarvestEvent"


MALFORMED: list[tuple[str, Edit, str]] = [
    ("missing @context", _drop_context, "$"),
    ("bad action", _bad_action, "$.epcisBody.eventList[0].action"),
    (
        "quantity as text",
        _quantity_as_text,
        "$.epcisBody.eventList[0].childQuantityList[1].quantity",
    ),
    ("bare-word bizStep", _bare_word_step, "$.epcisBody.eventList[0].bizStep"),
    ("unknown event type", _unknown_type, "$.epcisBody.eventList[0].type"),
]


def test_the_shipped_schema_is_a_valid_draft_07_schema() -> None:
    Draft7Validator.check_schema(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


@pytest.mark.parametrize("name", EXAMPLES)
def test_gs1_examples_pass_the_capture_schema_and_gs1s(name: str) -> None:
    document = example(name)
    assert errors_of(document) == []
    assert errors_of(document, gs1_validator()) == []


@pytest.mark.parametrize(("case", "edit", "path"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_documents_are_refused_by_both_schemas_naming_the_path(
    case: str, edit: Edit, path: str
) -> None:
    document = copy.deepcopy(example(EXAMPLES[1]))  # the aggregation event has quantities
    edit(document)
    ours = [e.path for e in errors_of(document)]
    theirs = [e.path for e in errors_of(document, gs1_validator())]
    assert path in ours, (case, ours)
    assert path in theirs, (case, theirs)


def test_every_error_of_a_document_is_listed_in_document_order() -> None:
    document = copy.deepcopy(example(EXAMPLES[0]))
    document["epcisBody"]["eventList"][1]["action"] = "ADDED"
    document["epcisBody"]["eventList"][0]["bizStep"] = "harvesting"
    paths = [e.path for e in errors_of(document)]
    assert paths == ["$.epcisBody.eventList[0].bizStep", "$.epcisBody.eventList[1].action"]


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("https://id.gs1.org/01/08935000000014", True),
        ("urn:epc:idpat:sgtin:4012345.098765.*", True),
        ("ni:///sha-256;00e1?ver=CBV2.0", True),
        ("_:document1", True),
        ("harvesting", False),
        ("has space:x y", False),
        ("", False),
    ],
)
def test_uri_format(value: str, valid: bool) -> None:
    assert is_uri(value) is valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("2005-04-03T20:33:31.116000-06:00", True),
        ("2026-05-01T06:30:00Z", True),
        ("2026-05-01T06:30:00", False),
        ("2026-02-30T06:30:00Z", False),
        ("yesterday", False),
    ],
)
def test_date_time_format(value: str, valid: bool) -> None:
    assert is_date_time(value) is valid


def test_a_time_past_year_9999_in_utc_is_refused_by_the_query() -> None:
    from backend.errors import InvalidInput
    from backend.services.interop.epcis.query import query_time

    with pytest.raises(InvalidInput) as refused:
        query_time("9999-12-31T23:59:59-14:00", field="GE_eventTime")
    assert refused.value.field == "GE_eventTime"
