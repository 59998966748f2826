"""What each event type must carry in ``data`` (and the location every event may carry).

Only a few types have a fixed shape: an input application is the record food-safety checks
lean on (what was sprayed, how much, and how long before harvest), a quality check must say
whether it passed, a note must say something, and a processing step that declares quantities
must conserve them. Every other type takes any JSON object, made
hashable by :func:`backend.services.validation.json_object`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from backend.errors import InvalidInput
from backend.hashing import nfc
from backend.i18n.messages import message
from backend.models import EventType
from backend.services import validation

MAX_PRE_HARVEST_INTERVAL_DAYS = 3650
#: What a harvest event's data says about the lot, written by the system from the lot row.
HARVEST_FACTS = ("product", "farm", "quantity", "unit")
#: What an input application must say: the record food-safety checks lean on.
SPRAY_FACTS = ("product", "active_ingredient", "dose", "unit", "pre_harvest_interval_days")
#: What a processing event may declare about quantity (in = out + loss, in the lot's unit).
PROCESSING_FACTS = ("quantity_in", "quantity_out", "loss")

DataRule = Callable[[dict[str, Any]], dict[str, Any]]

_REQUIRED = message("validation.required")


def validate_event_data(event_type: EventType, data: Any) -> dict[str, Any]:
    """``data`` checked for ``event_type`` and normalised to the form that is hashed."""
    cleaned = validation.json_object(data, field="data")
    rule = _RULES.get(event_type)
    return rule(cleaned) if rule else cleaned


def validate_location(location: Any) -> dict[str, Any] | None:
    """A location object or ``None``; ``lat``/``lon``, when present, as WGS84 decimal strings."""
    if location is None:
        return None
    cleaned = validation.json_object(location, field="location")
    for key, limit in (("lat", 90), ("lon", 180)):
        if key in cleaned:
            cleaned[key] = validation.coordinate(cleaned[key], field=f"location.{key}", limit=limit)
    return cleaned


#: Members that carry a record's facts stay readable; only the free text around them may be
#: private (a consumer must still see what was sprayed and whether a check passed).
_PUBLIC_MEMBERS: dict[EventType, frozenset[str]] = {
    EventType.HARVEST: frozenset(HARVEST_FACTS),
    EventType.INPUT_APPLICATION: frozenset(SPRAY_FACTS),
    EventType.QUALITY_CHECK: frozenset({"result"}),
    EventType.PROCESSING: frozenset(PROCESSING_FACTS),
}


def validate_private_fields(
    names: Sequence[Any],
    data: dict[str, Any],
    event_type: EventType,
    *,
    commitments: bool,
    field: str = "private",
) -> tuple[str, ...]:
    """The members of ``data`` (already validated) that a recorder marked private.

    Each must be a free-text member present in ``data``, named once; ``commitments`` is False
    when the event is written under rules v1, whose documents cannot hold a commitment, and
    then any name is refused rather than the value published.
    """
    if not names:
        return ()
    if not commitments:
        raise InvalidInput(message("ledger.private.rules_v1"), field=field)
    public = _PUBLIC_MEMBERS.get(event_type, frozenset())
    chosen: list[str] = []
    for index, name in enumerate(names):
        path = f"{field}[{index}]"
        key = nfc(name) if isinstance(name, str) else None
        if key is None or key not in data:
            raise InvalidInput(message("ledger.private.unknown"), field=path)
        if key in chosen:
            raise InvalidInput(message("ledger.private.repeated"), field=path)
        if key in public or not isinstance(data[key], str):
            raise InvalidInput(message("ledger.private.not_free_text"), field=path)
        chosen.append(key)
    return tuple(chosen)


def _input_application(data: dict[str, Any]) -> dict[str, Any]:
    allowed = {*SPRAY_FACTS, "note"}
    for key in data:
        if key not in allowed:
            raise InvalidInput(message("ledger.data.not_allowed"), field=f"data.{key}")
    for key in SPRAY_FACTS:
        if key not in data:
            raise InvalidInput(_REQUIRED, field=f"data.{key}")
    out: dict[str, Any] = {
        "product": validation.required_text(data["product"], field="data.product", max_length=200),
        "active_ingredient": validation.required_text(
            data["active_ingredient"], field="data.active_ingredient", max_length=200
        ),
        "dose": validation.decimal_string(data["dose"], field="data.dose"),
        "unit": validation.required_text(data["unit"], field="data.unit", max_length=32),
        "pre_harvest_interval_days": _interval_days(data["pre_harvest_interval_days"]),
    }
    if "note" in data:
        out["note"] = validation.required_text(
            data["note"], field="data.note", max_length=validation.FREE_TEXT_MAX, multiline=True
        )
    return out


def _interval_days(value: Any) -> int:
    field = "data.pre_harvest_interval_days"
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(message("ledger.data.not_integer"), field=field)
    if not 0 <= value <= MAX_PRE_HARVEST_INTERVAL_DAYS:
        raise InvalidInput(
            message("ledger.data.interval", most=MAX_PRE_HARVEST_INTERVAL_DAYS), field=field
        )
    return value


def _quality_check(data: dict[str, Any]) -> dict[str, Any]:
    if "result" not in data:
        raise InvalidInput(_REQUIRED, field="data.result")
    if data["result"] not in ("pass", "fail"):
        raise InvalidInput(message("ledger.data.result"), field="data.result")
    return data


def _processing(data: dict[str, Any]) -> dict[str, Any]:
    """Processing may declare what went in, what came out and the loss (all three, or none):
    quantity is conserved, so ``quantity_in`` must equal ``quantity_out`` + ``loss``."""
    given = [key for key in PROCESSING_FACTS if key in data]
    if not given:
        return data
    for key in PROCESSING_FACTS:
        if key not in data:
            raise InvalidInput(_REQUIRED, field=f"data.{key}")
    went_in = validation.decimal_string(data["quantity_in"], field="data.quantity_in")
    came_out = validation.decimal_string(data["quantity_out"], field="data.quantity_out")
    loss = validation.decimal_string(data["loss"], field="data.loss", positive=False)
    if Decimal(loss) < 0 or Decimal(went_in) != Decimal(came_out) + Decimal(loss):
        raise InvalidInput(message("ledger.data.conservation"), field="data.loss")
    return {**data, "quantity_in": went_in, "quantity_out": came_out, "loss": loss}


def _note(data: dict[str, Any]) -> dict[str, Any]:
    if "text" not in data:
        raise InvalidInput(_REQUIRED, field="data.text")
    data["text"] = validation.required_text(
        data["text"], field="data.text", max_length=validation.FREE_TEXT_MAX, multiline=True
    )
    return data


_RULES: dict[EventType, DataRule] = {
    EventType.INPUT_APPLICATION: _input_application,
    EventType.QUALITY_CHECK: _quality_check,
    EventType.NOTE: _note,
    EventType.PROCESSING: _processing,
}
