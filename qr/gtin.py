"""GTIN validation and normalisation.

Products carry their GTIN as GTIN-14 everywhere in SenTrace (the database column and the
Digital Link path), so every entry point normalises through :func:`normalize_gtin`. The GS1
rules themselves (lengths, mod-10 check digit, restricted-circulation prefixes) come from
``biip``; this module only adds the strictness our inputs need (ASCII digits, no whitespace)
and our error type.
"""

from __future__ import annotations

import re

from biip import ParseError
from biip.checksums import gs1_standard_check_digit
from biip.gtin import Gtin
from biip.rcn import Rcn

from qr.errors import InvalidGtin

#: GS1 Vietnam's GS1 prefix: company prefixes issued in Vietnam start with these digits.
VIETNAM_GS1_PREFIX = "893"

# biip accepts surrounding whitespace and any Unicode digit; a GTIN we store or print must be
# plain ASCII digits, so the shape is checked here first.
_GTIN_SHAPE = re.compile(r"[0-9]{8}|[0-9]{12,14}")


def normalize_gtin(value: str) -> str:
    """Return ``value`` as a GTIN-14, refusing anything GS1 would not accept on a trade item.

    Accepts GTIN-8, -12, -13 and -14 (leading zeros allowed). Refuses restricted circulation
    numbers (prefixes 02, 04, 2x and GTIN-8 prefix 0): they are only unique inside one company
    or country, so they cannot identify a product in a public link.
    """
    if not isinstance(value, str) or not _GTIN_SHAPE.fullmatch(value):
        raise InvalidGtin(f"GTIN {value!r} must be 8, 12, 13 or 14 digits (0-9), nothing else")
    try:
        parsed = Gtin.parse(value)
    except ParseError as exc:
        raise InvalidGtin(_plain_parse_error(value, exc)) from exc
    if isinstance(parsed, Rcn):
        raise InvalidGtin(
            f"GTIN {value} is a restricted circulation number, valid only inside one company "
            "or country, not a global trade item number"
        )
    return parsed.as_gtin_14()


def gtin_check_digit(payload: str) -> int:
    """The GS1 mod-10 check digit for ``payload`` (a GTIN without its last digit)."""
    if not payload.isascii() or not payload.isdigit():
        raise InvalidGtin(f"GTIN payload {payload!r} must contain only digits")
    return gs1_standard_check_digit(payload)


def vietnam_gtin(company_prefix: str, item_reference: int) -> str:
    """Build a valid GTIN-14 from a GS1 Vietnam company prefix and an item number.

    Meant for demo and test data: ``vietnam_gtin("8935049", 1)`` gives a GTIN-13 under that
    prefix, padded to 14 digits. The company prefix must start with 893 and leave room for the
    item reference in the 12-digit GTIN-13 payload.
    """
    if not (company_prefix.isascii() and company_prefix.isdigit()):
        raise InvalidGtin(f"company prefix {company_prefix!r} must contain only digits")
    if not company_prefix.startswith(VIETNAM_GS1_PREFIX) or not 6 <= len(company_prefix) <= 11:
        raise InvalidGtin(
            f"company prefix {company_prefix!r} must start with {VIETNAM_GS1_PREFIX} "
            "and have 6 to 11 digits"
        )
    width = 12 - len(company_prefix)
    if not 0 <= item_reference < 10**width:
        raise InvalidGtin(f"item reference {item_reference} does not fit in {width} digits")
    payload = f"{company_prefix}{item_reference:0{width}d}"
    return normalize_gtin(f"{payload}{gtin_check_digit(payload)}")


def _plain_parse_error(value: str, exc: ParseError) -> str:
    """Rephrase biip's message; the check-digit case is the one people actually hit."""
    text = str(exc)
    if "check digit" in text:
        expected = gtin_check_digit(value[:-1])
        return (
            f"GTIN {value} has a wrong check digit: the last digit should be {expected}, "
            f"not {value[-1]}"
        )
    return f"GTIN {value} is not valid: {text}"
