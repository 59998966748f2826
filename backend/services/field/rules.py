"""The rules the field app's forms check on the phone, with the server's own messages.

A member offline must be told at once that a dose is not a number, in the very words the
server would answer later; two copies of the wording would drift apart. So the phone gets this
description (cached with the rest of its offline data): for each form, each field's kind and
limits, the path the server names when it refuses it, and for each check the exact message
the server's validation raises (the same :func:`~backend.i18n.messages.message` call, with the
same limits). The phone's checks are a convenience; the server still checks everything.
"""

from __future__ import annotations

from typing import Any

from backend.i18n.messages import message
from backend.services import validation
from backend.services.ledger.event_data import MAX_PRE_HARVEST_INTERVAL_DAYS

#: Decimal limits of :func:`validation.decimal_string` as the ledger calls it.
_DECIMAL = {"max_places": 6, "max_integer_digits": 12}


def _text(name: str, path: str, *, max_length: int, required: bool = True,
          multiline: bool = False) -> dict[str, Any]:  # fmt: skip
    return {
        "name": name,
        "path": path,
        "kind": "textarea" if multiline else "text",
        "required": required,
        "max_length": max_length,
        "messages": {
            "required": message("validation.required"),
            "empty": message("validation.empty"),
            "too_long": message("validation.too_long", max_length=max_length),
            "control_characters": message("validation.control_characters"),
        },
    }


def _decimal(name: str, path: str) -> dict[str, Any]:
    return {
        "name": name,
        "path": path,
        "kind": "decimal",
        "required": True,
        **_DECIMAL,
        "messages": {
            "required": message("validation.required"),
            "not_decimal": message("validation.not_decimal"),
            "not_positive": message("validation.not_positive"),
            "too_many_places": message("validation.too_many_places", max_places=6),
            "too_large": message("validation.too_large"),
        },
    }


def _choice(name: str, path: str, source: str) -> dict[str, Any]:
    """A value picked from the member's cached list ``source`` (farms, products, lots)."""
    return {
        "name": name,
        "path": path,
        "kind": "choice",
        "source": source,
        "required": True,
        "messages": {"required": message("validation.required")},
    }


def _time(path: str) -> dict[str, Any]:
    return {
        "name": "occurred_at",
        "path": path,
        "kind": "time",
        "required": True,
        "future_skew_seconds": int(validation.FUTURE_SKEW.total_seconds()),
        "earliest": validation.EARLIEST_EVENT_TIME.isoformat().replace("+00:00", "Z"),
        "messages": {
            "required": message("validation.required"),
            "not_time": message("validation.not_time"),
            "future": message("validation.future"),
            "too_early": message("validation.too_early"),
        },
    }


def _interval() -> dict[str, Any]:
    return {
        "name": "pre_harvest_interval_days",
        "path": "data.pre_harvest_interval_days",
        "kind": "integer",
        "required": True,
        "min": 0,
        "max": MAX_PRE_HARVEST_INTERVAL_DAYS,
        "messages": {
            "required": message("validation.required"),
            "not_integer": message("ledger.data.not_integer"),
            "range": message("ledger.data.interval", most=MAX_PRE_HARVEST_INTERVAL_DAYS),
        },
    }


def _result() -> dict[str, Any]:
    return {
        "name": "result",
        "path": "data.result",
        "kind": "pass_fail",
        "required": True,
        "choices": ["pass", "fail"],
        "messages": {
            "required": message("validation.required"),
            "choice": message("ledger.data.result"),
        },
    }


def _diary(field: dict[str, Any]) -> dict[str, Any]:
    """A field of the farm diary's form: ``POST /farms/{code}/inputs`` names a refused value by
    its member (``dose``, ``applied_at``), and ``member`` says where the value goes."""
    path = str(field["path"]).removeprefix("data.")
    return {**field, "path": path, "member": path}


def diary_form() -> dict[str, Any]:
    """An input applied to a farm, before any lot exists: an entry of the farm's season diary
    (``POST /api/v1/farms/{code}/inputs``, proof rules section 13), not an event of a lot."""
    free = validation.FREE_TEXT_MAX
    time = _time("applied_at")
    return {
        "type": "input_application",
        "target": "farm_diary",
        "fields": [
            _choice("farm", "farm", "farms"),
            *(
                _diary(field)
                for field in (
                    _text("product", "data.product", max_length=200),
                    _text("active_ingredient", "data.active_ingredient", max_length=200),
                    _text("registration_number", "data.registration_number", max_length=64,
                          required=False),
                    _text("batch_number", "data.batch_number", max_length=64, required=False),
                    _decimal("dose", "data.dose"),
                    _text("unit", "data.unit", max_length=32),
                    _interval(),
                    _text("operator", "data.operator", max_length=200),
                    _text("note", "data.note", max_length=free, required=False, multiline=True),
                )
            ),
            time,
        ],
    }  # fmt: skip


def field_rules() -> dict[str, Any]:
    """Every form of the field app: its event type and its fields in display order. Inputs go
    to a farm's diary; ``treatment`` is an input applied to a lot after harvest (washing,
    waxing, a fungicide dip), an event of that lot."""
    free = validation.FREE_TEXT_MAX
    lot = _choice("lot", "lot", "lots")
    return {
        "version": 2,
        "forms": {
            "harvest": {
                "type": "harvest",
                "fields": [
                    _choice("product", "data.product", "products"),
                    _choice("farm", "data.farm", "farms"),
                    _decimal("quantity", "data.quantity"),
                    _text("unit", "data.unit", max_length=16),
                    _time("occurred_at"),
                ],
            },
            "input_application": diary_form(),
            "treatment": {
                "type": "input_application",
                "fields": [
                    lot,
                    _text("product", "data.product", max_length=200),
                    _text("active_ingredient", "data.active_ingredient", max_length=200),
                    _decimal("dose", "data.dose"),
                    _text("unit", "data.unit", max_length=32),
                    _interval(),
                    _text("note", "data.note", max_length=free, required=False, multiline=True),
                    _time("occurred_at"),
                ],
            },
            "quality_check": {
                "type": "quality_check",
                "fields": [
                    lot,
                    _result(),
                    _text("notes", "data.notes", max_length=free, required=False, multiline=True),
                    {
                        "name": "photo",
                        "path": "data.photo_sha256",
                        "kind": "photo",
                        "required": False,
                        "messages": {},
                    },
                    _time("occurred_at"),
                ],
            },
            "note": {
                "type": "note",
                "fields": [
                    lot,
                    _text("text", "data.text", max_length=free, multiline=True),
                    _time("occurred_at"),
                ],
            },
        },
    }
