"""GS1's EPCIS reference files for the tests (skip locally without them, fail under CI=true)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator

from backend.services.interop.epcis.validation import validator_for
from tests.support.components import epcis_reference_dir

EXAMPLES = (
    "Example_9.6.1-ObjectEvent.jsonld",
    "Example_9.6.3-AggregationEvent.jsonld",
    "Example_9.6.4-TransformationEvent.jsonld",
)
VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "epcis_event_hashes.json"


def example(name: str) -> dict[str, Any]:
    """One of GS1's example documents, parsed."""
    return json.loads((epcis_reference_dir() / name).read_text(encoding="utf-8"))


def gs1_validator() -> Draft7Validator:
    """A validator of GS1's published EPCIS 2.0 JSON schema (with the capture's formats)."""
    return _gs1_validator(epcis_reference_dir() / "EPCIS-JSON-Schema.json")


@cache
def _gs1_validator(path: Path) -> Draft7Validator:
    return validator_for(json.loads(path.read_text(encoding="utf-8")))


def vectors() -> dict[str, Any]:
    return json.loads(VECTORS.read_text(encoding="utf-8"))
