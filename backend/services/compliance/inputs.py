"""What an input application says, checked: the facts a food-safety inspector leans on.

The same facts as a lot's ``input_application`` event (product, active ingredient, dose,
unit, pre-harvest interval), plus what a recall or an audit needs: the product's registration
number (Vietnam's list of permitted plant protection products) and the manufacturer's batch
number, so a recalled pesticide batch can be traced to every lot it touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.errors import InvalidInput
from backend.i18n.messages import message
from backend.services import validation

MAX_PRE_HARVEST_INTERVAL_DAYS = 3650


@dataclass(frozen=True)
class InputApplication:
    """One application, validated into the form that is hashed."""

    product: str
    active_ingredient: str
    dose: str
    unit: str
    pre_harvest_interval_days: int
    operator: str
    applied_at: datetime
    registration_number: str | None = None
    batch_number: str | None = None
    note: str | None = None

    def document_data(self, operator_commitment: dict[str, str]) -> dict[str, Any]:
        """The document's ``data`` (proof rules 13.1); optional members only when given."""
        data: dict[str, Any] = {
            "product": self.product,
            "active_ingredient": self.active_ingredient,
            "dose": self.dose,
            "unit": self.unit,
            "pre_harvest_interval_days": self.pre_harvest_interval_days,
            "operator": operator_commitment,
        }
        for key in ("registration_number", "batch_number", "note"):
            value = getattr(self, key)
            if value is not None:
                data[key] = value
        return data


def input_application(
    *,
    product: Any,
    active_ingredient: Any,
    dose: Any,
    unit: Any,
    pre_harvest_interval_days: Any,
    operator: Any,
    applied_at: Any,
    registration_number: Any = None,
    batch_number: Any = None,
    note: Any = None,
) -> InputApplication:
    """An :class:`InputApplication` from request values; 422 naming the first bad field."""
    return InputApplication(
        product=validation.required_text(product, field="product", max_length=200),
        active_ingredient=validation.required_text(
            active_ingredient, field="active_ingredient", max_length=200
        ),
        dose=validation.decimal_string(dose, field="dose"),
        unit=validation.required_text(unit, field="unit", max_length=32),
        pre_harvest_interval_days=interval_days(pre_harvest_interval_days),
        operator=validation.required_text(operator, field="operator", max_length=200),
        applied_at=validation.event_time(applied_at, field="applied_at"),
        registration_number=validation.text(
            registration_number, field="registration_number", max_length=64, required=False
        ),
        batch_number=None
        if batch_number is None
        else validation.code(batch_number, field="batch_number"),
        note=validation.text(
            note,
            field="note",
            max_length=validation.FREE_TEXT_MAX,
            required=False,
            multiline=True,
        ),
    )


def interval_days(value: Any, *, field: str = "pre_harvest_interval_days") -> int:
    """A whole number of days from 0 to :data:`MAX_PRE_HARVEST_INTERVAL_DAYS`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(message("ledger.data.not_integer"), field=field)
    if not 0 <= value <= MAX_PRE_HARVEST_INTERVAL_DAYS:
        raise InvalidInput(
            message("ledger.data.interval", most=MAX_PRE_HARVEST_INTERVAL_DAYS), field=field
        )
    return value
