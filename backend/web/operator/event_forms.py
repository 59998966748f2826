"""The observation forms a custodian fills in: which fields each event type asks for.

One declarative table rather than one handler per form: the fields of an input application, a
quality check, packing, shipping and receiving differ, but reading, re-showing and error
handling are the same. What the ledger requires of each type (``input_application`` needs a
dose and a pre-harvest interval, ``quality_check`` a pass/fail result) is checked again by the
events service; the table only asks for the right things in the right form.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from backend.models import EventType
from backend.web.operator.forms import FieldReader


class FieldKind(StrEnum):
    TEXT = "text"
    TEXTAREA = "textarea"
    DECIMAL = "decimal"
    INTEGER = "integer"
    CHOICE = "choice"


@dataclass(frozen=True)
class FieldSpec:
    """One input of an event form; ``name`` is also the key in the event's data."""

    name: str
    kind: FieldKind = FieldKind.TEXT
    required: bool = False
    options: tuple[str, ...] = ()
    max_length: int = 200


@dataclass(frozen=True)
class EventForm:
    """The form for one observation type."""

    event_type: EventType
    fields: tuple[FieldSpec, ...]


_NOTE = FieldSpec("note", FieldKind.TEXTAREA, max_length=2000)

EVENT_FORMS: dict[str, EventForm] = {
    form.event_type.value: form
    for form in (
        EventForm(
            EventType.INPUT_APPLICATION,
            (
                FieldSpec("product", required=True),
                FieldSpec("active_ingredient", required=True),
                FieldSpec("dose", FieldKind.DECIMAL, required=True),
                FieldSpec("unit", required=True, max_length=32),
                FieldSpec("pre_harvest_interval_days", FieldKind.INTEGER, required=True),
                _NOTE,
            ),
        ),
        EventForm(
            EventType.QUALITY_CHECK,
            (
                FieldSpec("result", FieldKind.CHOICE, required=True, options=("pass", "fail")),
                FieldSpec("inspector"),
                FieldSpec("method"),
                FieldSpec("brix", FieldKind.DECIMAL),
                _NOTE,
            ),
        ),
        EventForm(
            EventType.PACKING,
            (
                FieldSpec("package", required=True),
                FieldSpec("package_count", FieldKind.INTEGER, required=True),
                FieldSpec("packing_house"),
                _NOTE,
            ),
        ),
        EventForm(
            EventType.SHIPPING,
            (
                FieldSpec("destination", required=True),
                FieldSpec("carrier"),
                FieldSpec("vehicle"),
                FieldSpec("temperature_c", FieldKind.DECIMAL),
                _NOTE,
            ),
        ),
        EventForm(
            EventType.RECEIVING,
            (
                FieldSpec(
                    "condition", FieldKind.CHOICE, required=True, options=("good", "damaged")
                ),
                FieldSpec("temperature_c", FieldKind.DECIMAL),
                _NOTE,
            ),
        ),
        EventForm(EventType.NOTE, (FieldSpec("text", FieldKind.TEXTAREA, required=True),)),
    )
}

#: Decimal fields that may be zero or negative (a cold chain runs below 0 °C).
_SIGNED = frozenset({"temperature_c"})


def read_event_data(spec: EventForm, fields: FieldReader) -> dict[str, Any]:
    """The event's ``data`` from the form; problems are recorded on ``fields.state``."""
    data: dict[str, Any] = {}
    for item in spec.fields:
        value: Any
        if item.kind is FieldKind.DECIMAL:
            sign = "any" if item.name in _SIGNED else "positive"
            value = fields.decimal(item.name, required=item.required, sign=sign)
        elif item.kind is FieldKind.INTEGER:
            minimum = 1 if item.name == "package_count" else 0
            value = fields.integer(item.name, required=item.required, minimum=minimum)
        elif item.kind is FieldKind.CHOICE:
            value = fields.choice(item.name, list(item.options), required=item.required)
        else:
            value = fields.text(item.name, required=item.required, max_length=item.max_length)
        if value is not None:
            data[item.name] = value
    return data
