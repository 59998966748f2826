"""Validating EPCIS 2.0 documents with ``jsonschema``, every error named by its JSON path.

Capture validates against SenTrace's own schema (``capture_schema.json``, written for this
project: the EPCIS 2.0 structure of the three event types SenTrace imports), shipped with the
package so that a deployment validates without GS1's files. GS1's published schema is not
copied (GS1 grants no licence to redistribute it); the tests check that every document GS1's
schema refuses in the cases that matter is refused here too, that GS1's example documents pass
both, and that every export passes GS1's (docs/epcis.md).

``jsonschema`` checks ``format`` only through a format checker, and its own ``uri`` check needs
an optional package: :data:`FORMATS` checks ``uri`` (an absolute URI, or a JSON-LD blank node
``_:x``) and ``date-time`` (RFC 3339 with an offset) itself, so that a bare word such as
``harvesting`` is not a URI. The same checker is used with GS1's schema in the tests.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, FormatChecker

SCHEMA_PATH = Path(__file__).with_name("capture_schema.json")
#: Most errors one answer lists (a broken generator can err once per event).
MAX_ERRORS = 100
_URI = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.\-]*:|_:)[^\s<>\"{}|\\^`]+")
_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:\d\d)")

FORMATS = FormatChecker(formats=())


@FORMATS.checks("uri")
def is_uri(value: object) -> bool:
    return not isinstance(value, str) or _URI.fullmatch(value) is not None


@FORMATS.checks("date-time")
def is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if _DATE_TIME.fullmatch(value) is None:
        return False
    try:
        datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class SchemaError:
    """One validation error: where (``$.epcisBody.eventList[0].action``) and what."""

    path: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


def json_path(parts: Any) -> str:
    """A jsonschema error location as a JSON path."""
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def errors_of(document: Any, validator: Draft7Validator | None = None) -> list[SchemaError]:
    """Every error in ``document`` (capture schema by default), in document order, at most
    :data:`MAX_ERRORS`; empty when it is valid."""
    chosen = validator or capture_validator()
    found: dict[tuple[str, str], SchemaError] = {}
    for error in chosen.iter_errors(document):
        path = json_path(error.absolute_path)
        text = error.message if len(error.message) <= 300 else error.message[:297] + "..."
        found.setdefault((path, text), SchemaError(path, text))
        if len(found) >= MAX_ERRORS:
            break
    return sorted(found.values(), key=lambda e: _order_key(e.path))


def _order_key(path: str) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in re.split(r"[\[\].]+", path) if p]


@cache
def capture_validator() -> Draft7Validator:
    """The validator of the shipped capture schema (built once)."""
    return validator_for(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def validator_for(schema: dict[str, Any]) -> Draft7Validator:
    """A draft-07 validator of ``schema`` with :data:`FORMATS` (used for GS1's schema too)."""
    Draft7Validator.check_schema(schema)
    return Draft7Validator(schema, format_checker=FORMATS)
