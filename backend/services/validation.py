"""Field rules shared by every write: text, codes, decimals, times, GTINs and free JSON.

Each function takes the raw value and the name of the field it came from, and returns the one
form the ledger stores (and, for event fields, hashes): NFC text, decimal strings without
exponent or trailing zeros, aware UTC datetimes in whole seconds, GTIN-14. Anything else raises
:class:`~backend.errors.InvalidInput` naming the field, with a message in Vietnamese then
English. The functions know nothing of HTTP, so the CLI and the demo loader get the same rules.

Naive datetimes are refused rather than read as UTC: Đồng Tháp is UTC+7, and a wall-clock time
silently taken as UTC would put every event seven hours off, in a hash that can never change.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from backend.errors import InvalidInput
from backend.hashing.errors import NonCanonicalValue
from backend.hashing.values import MAX_SAFE_INTEGER, canonical_value
from backend.i18n.messages import message
from backend.timeutil import utcnow, whole_seconds_utc

#: Unicode's control characters (category Cc, fixed by the standard: U+0000–U+001F and
#: U+007F–U+009F), found by one regular-expression pass instead of a category look-up per
#: character; the second allows tab and line feed, for multi-line and free text.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

#: How far ahead of the server clock an event time may be (clocks of phones in the field drift).
FUTURE_SKEW = timedelta(minutes=5)
#: Earlier than this is a typo, not a harvest.
EARLIEST_EVENT_TIME = datetime(2000, 1, 1, tzinfo=UTC)

#: Lot codes travel in GS1 AI (10) and in URLs: the URL-safe part of GS1's character set 82.
LOT_CODE_MAX = 20
OTHER_CODE_MAX = 64
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,63}")
_PLAIN_DECIMAL = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")

FREE_TEXT_MAX = 2000
FREE_KEY_MAX = 64
FREE_DEPTH_MAX = 6
FREE_NODES_MAX = 500


def text(
    value: Any,
    *,
    field: str,
    max_length: int,
    required: bool = True,
    multiline: bool = False,
) -> str | None:
    """NFC text with surrounding space trimmed; control characters refused (bar newline/tab)."""
    if value is None:
        if required:
            raise InvalidInput(message("validation.required"), field=field)
        return None
    if not isinstance(value, str):
        raise InvalidInput(message("validation.not_text"), field=field)
    normal = unicodedata.normalize("NFC", value).strip()
    if not normal:
        if required:
            raise InvalidInput(message("validation.empty"), field=field)
        return None
    if len(normal) > max_length:
        raise InvalidInput(message("validation.too_long", max_length=max_length), field=field)
    if (_CONTROL_BUT_LINES if multiline else _CONTROL).search(normal):
        raise InvalidInput(message("validation.control_characters"), field=field)
    return normal


def required_text(value: Any, *, field: str, max_length: int, multiline: bool = False) -> str:
    """:func:`text` for a field that must be present (typed as plain ``str``)."""
    result = text(value, field=field, max_length=max_length, multiline=multiline)
    assert result is not None
    return result


def code(value: Any, *, field: str, max_length: int = OTHER_CODE_MAX) -> str:
    """A code (lot, farm, product): letters, digits, ``.``, ``_``, ``-``; starts alphanumeric."""
    if not isinstance(value, str):
        raise InvalidInput(message("validation.code_not_text"), field=field)
    if not value or len(value) > max_length or not _CODE.fullmatch(value):
        raise InvalidInput(message("validation.code_shape", max_length=max_length), field=field)
    return value


def lot_code(value: Any, *, field: str = "code") -> str:
    """A lot code: a :func:`code` short enough for GS1 AI (10) (20 characters)."""
    return code(value, field=field, max_length=LOT_CODE_MAX)


def slug(value: Any, *, field: str = "slug") -> str:
    """An organisation slug: 2–64 of lowercase a–z, digits and ``-``."""
    if not isinstance(value, str) or not _SLUG.fullmatch(value):
        raise InvalidInput(message("validation.slug_shape"), field=field)
    return value


def decimal_string(
    value: Any,
    *,
    field: str,
    max_places: int = 6,
    max_integer_digits: int = 12,
    positive: bool = True,
) -> str:
    """A number (JSON number or decimal string) as a canonical decimal string.

    ``"12.50"``, ``12.5`` and ``"012.5"`` all become ``"12.5"``; exponents, NaN, infinities and
    booleans are refused. Floats are read through their shortest ``repr``, which is what the
    client wrote in its JSON.
    """
    number = _to_decimal(value, field=field)
    if positive and number <= 0:
        raise InvalidInput(message("validation.not_positive"), field=field)
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > max_places:
        raise InvalidInput(
            message("validation.too_many_places", max_places=max_places), field=field
        )
    if abs(number) >= Decimal(10) ** max_integer_digits:
        raise InvalidInput(message("validation.too_large"), field=field)
    return plain_decimal(number)


def _to_decimal(value: Any, *, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidInput(message("validation.not_number"), field=field)
    raw = repr(value) if isinstance(value, float) else str(value).strip()
    if isinstance(value, str) and not _PLAIN_DECIMAL.fullmatch(raw):
        raise InvalidInput(message("validation.not_decimal"), field=field)
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput(message("validation.not_number"), field=field) from None
    if not number.is_finite():
        raise InvalidInput(message("validation.not_finite"), field=field)
    return number.normalize()


def plain_decimal(number: Decimal) -> str:
    """Fixed-point text without exponent or trailing zeros (``normalize`` may add ``E+``)."""
    text_form = format(number, "f")
    if "." in text_form:
        text_form = text_form.rstrip("0").rstrip(".")
    return "0" if text_form in ("-0", "") else text_form


def coordinate(value: Any, *, field: str, limit: int) -> str:
    """A WGS84 latitude (``limit=90``) or longitude (``limit=180``) as a decimal string."""
    result = decimal_string(value, field=field, max_places=8, max_integer_digits=3, positive=False)
    if abs(Decimal(result)) > limit:
        raise InvalidInput(message("validation.out_of_range", limit=limit), field=field)
    return result


def event_time(value: Any, *, field: str = "occurred_at", now: datetime | None = None) -> datetime:
    """An aware time in the past (or within :data:`FUTURE_SKEW`), as whole-second UTC."""
    if not isinstance(value, datetime):
        raise InvalidInput(message("validation.not_time"), field=field)
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(message("validation.no_offset"), field=field)
    stored = whole_seconds_utc(value)
    if stored > (now or utcnow()) + FUTURE_SKEW:
        raise InvalidInput(message("validation.future"), field=field)
    if stored < EARLIEST_EVENT_TIME:
        raise InvalidInput(message("validation.too_early"), field=field)
    return stored


def json_object(value: Any, *, field: str) -> dict[str, Any]:
    """A free JSON object made hashable: NFC everywhere, floats as decimal strings, bounded.

    Limits (depth, size, text length) keep one event from becoming a storage or hashing
    burden; the result is checked against the canonical value space of the hashing rules.
    """
    if not isinstance(value, dict):
        raise InvalidInput(message("validation.not_object"), field=field)
    budget = [FREE_NODES_MAX]
    cleaned = _free_value(value, field=field, depth=0, budget=budget)
    try:
        result: dict[str, Any] = canonical_value(cleaned, path=field)
    except NonCanonicalValue as exc:
        raise InvalidInput(
            message("validation.unhashable", tail=exc.problem), field=exc.path
        ) from None
    return result


def _free_value(value: Any, *, field: str, depth: int, budget: list[int]) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise InvalidInput(message("validation.too_many_values"), field=field)
    if depth > FREE_DEPTH_MAX:
        raise InvalidInput(message("validation.too_deep"), field=field)
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = text(key, field=field, max_length=FREE_KEY_MAX)
            assert name is not None
            path = f"{field}.{name}"
            if name in out:
                raise InvalidInput(message("validation.duplicate_key"), field=path)
            out[name] = _free_value(item, field=path, depth=depth + 1, budget=budget)
        return out
    if isinstance(value, list):
        return [
            _free_value(item, field=f"{field}[{index}]", depth=depth + 1, budget=budget)
            for index, item in enumerate(value)
        ]
    if isinstance(value, str):
        return _free_text(value, field=field)
    if isinstance(value, float):
        return decimal_string(
            value, field=field, max_places=12, max_integer_digits=15, positive=False
        )
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise InvalidInput(message("validation.integer_too_large"), field=field)
        return value
    raise InvalidInput(message("validation.unsupported_type"), field=field)


def _free_text(value: str, *, field: str) -> str:
    """Text inside free data: NFC and checked, but kept as written (no trimming)."""
    normal = unicodedata.normalize("NFC", value)
    if len(normal) > FREE_TEXT_MAX:
        raise InvalidInput(message("validation.too_long", max_length=FREE_TEXT_MAX), field=field)
    if _CONTROL_BUT_LINES.search(normal):
        raise InvalidInput(message("validation.control_characters"), field=field)
    return normal
