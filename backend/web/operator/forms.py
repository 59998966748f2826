"""Reading HTML forms: typed values out, field-level errors in the user's language.

A form that fails validation is rendered again with everything the person typed and a message
under each wrong field, so nothing is lost on a shop floor with a slow phone. This module only
turns text into values (is it a number, a date, one of the offered choices); whether the value
is allowed for the lot is the services' decision, and their ``InvalidInput`` errors are mapped
back onto the field they name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Literal

from fastapi import Request

from backend.errors import Conflict, InvalidInput, SenTraceError
from backend.i18n import Translator
from backend.timeutil import VIETNAM_TZ, as_utc, in_vietnam, utcnow
from backend.web.sessions import CSRF_FIELD

DATETIME_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
MAX_FIELD_LENGTH = 2000
#: Spaces are part of a password; every other field is trimmed.
UNTRIMMED_FIELDS = frozenset({"password", "current_password", "new_password", "new_password_again"})


@dataclass
class FormState:
    """What was submitted and what is wrong with it, field by field."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def error(self, name: str) -> str | None:
        return self.errors.get(name)

    def fail(self, name: str, message: str) -> None:
        """Record the first problem of a field (later ones would only repeat it)."""
        self.errors.setdefault(name, message)

    @property
    def ok(self) -> bool:
        return not self.errors


async def read_form(request: Request) -> FormState:
    """The submitted text fields (trimmed, CSRF token left out)."""
    form = await request.form()
    values: dict[str, str] = {}
    for key, value in form.multi_items():
        if key == CSRF_FIELD or not isinstance(value, str):
            continue
        kept = value if key in UNTRIMMED_FIELDS else value.strip()
        values[key] = kept[:MAX_FIELD_LENGTH]
    return FormState(values=values)


class FieldReader:
    """Typed accessors over a ``FormState`` that record errors instead of raising."""

    def __init__(self, state: FormState, t: Translator) -> None:
        self.state = state
        self.t = t

    def text(self, name: str, *, required: bool = True, max_length: int = 200) -> str | None:
        raw = self.state.value(name)
        if not raw:
            if required:
                self.state.fail(name, self.t("app.errors.required"))
            return None
        if len(raw) > max_length:
            self.state.fail(name, self.t("app.errors.too_long", limit=max_length))
            return None
        return raw

    def password(self, name: str = "password") -> str:
        """A required password, taken out of the values so it is never sent back to the browser."""
        password = self.state.values.pop(name, "")
        if not password:
            self.state.fail(name, self.t("app.errors.required"))
        return password

    def choice(self, name: str, options: list[str], *, required: bool = True) -> str | None:
        raw = self.text(name, required=required)
        if raw is not None and raw not in options:
            self.state.fail(name, self.t("app.errors.choice"))
            return None
        return raw

    def decimal(
        self,
        name: str,
        *,
        required: bool = True,
        sign: Literal["positive", "non_negative", "any"] = "positive",
    ) -> str | None:
        """A decimal as the canonical string the ledger stores (never a float)."""
        raw = self.text(name, required=required, max_length=40)
        if raw is None:
            return None
        try:
            number = Decimal(raw.replace(",", "."))
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            self.state.fail(name, self.t("app.errors.number"))
            return None
        if sign == "positive" and number <= 0:
            self.state.fail(name, self.t("app.errors.positive"))
            return None
        if sign == "non_negative" and number < 0:
            self.state.fail(name, self.t("app.errors.non_negative"))
            return None
        return format(number.normalize(), "f")

    def integer(self, name: str, *, required: bool = True, minimum: int = 0) -> int | None:
        raw = self.text(name, required=required, max_length=12)
        if raw is None:
            return None
        try:
            number = int(raw)
        except ValueError:
            self.state.fail(name, self.t("app.errors.integer"))
            return None
        if number < minimum:
            self.state.fail(name, self.t("app.errors.minimum", minimum=minimum))
            return None
        return number

    def moment(self, name: str, *, required: bool = True) -> datetime | None:
        """A ``datetime-local`` value read as Đồng Tháp wall-clock time, returned in UTC."""
        raw = self.text(name, required=required, max_length=32)
        if raw is None:
            return None
        try:
            local = datetime.strptime(raw[:16], DATETIME_LOCAL_FORMAT)
        except ValueError:
            self.state.fail(name, self.t("app.errors.datetime"))
            return None
        return as_utc(local.replace(tzinfo=VIETNAM_TZ))

    def past_moment(self, name: str) -> datetime | None:
        """A required ``moment`` that has already happened: nobody records tomorrow's harvest."""
        moment = self.moment(name)
        if moment is not None and moment > utcnow():
            self.state.fail(name, self.t("app.errors.future"))
        return moment


def datetime_local_value(moment: datetime) -> str:
    """How a time is pre-filled into a ``datetime-local`` input (Vietnam wall clock)."""
    return in_vietnam(moment).strftime(DATETIME_LOCAL_FORMAT)


def localise_message(message: str, lang: str) -> str:
    """Pick one language out of a service's bilingual "tiếng Việt / English" message."""
    if " / " not in message:
        return message
    vietnamese, _, english = message.partition(" / ")
    return english.strip() if lang == "en" else vietnamese.strip()


def apply_service_error(
    state: FormState,
    error: SenTraceError,
    *,
    lang: str,
    field_map: dict[str, str] | None = None,
    fallback_field: str = "_form",
) -> None:
    """Attach a service's error to the form field it names (or to the form as a whole)."""
    name = error.field or ""
    mapped = (field_map or {}).get(name)
    if mapped is None:
        head = name.split(".")[0]
        mapped = (field_map or {}).get(head, head if head in state.values else fallback_field)
    state.fail(mapped, localise_message(error.message, lang))


def shows_on_form(error: SenTraceError) -> bool:
    """Whether a service error belongs on the form (bad or clashing input) or on an error page."""
    return isinstance(error, InvalidInput | Conflict) or error.field is not None
