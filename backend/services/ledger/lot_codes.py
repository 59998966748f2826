"""Readable lot codes, generated when the caller brings none: ``DT-XOAI-2611-7KQ2MZ``.

``DT`` (Đồng Tháp), a tag from the product code, the year and month (Vietnam time) and six
random Crockford base32 characters (30 bits; no I, L, O or U, so nothing reads as a digit or
a word): at most 20 characters of ``A–Z 0–9 -``, so the code fits GS1 AI (10) and a URL path
as it is, and a person can read it off a box. The random part replaced a counter: counted codes
let anyone walk every lot's public page by trying the next number; now one guess in about a
billion, divided by the lots of that product and month, finds a lot. Codes the counter made
(``…-000123``) stay what they are and keep resolving. Two writers may draw the same code; the
insert then fails on the unique code and is retried with a fresh draw inside a savepoint, so
the surrounding transaction survives.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from backend.entropy import random_bytes
from backend.errors import Conflict
from backend.i18n.messages import message
from backend.models import Lot, Product
from backend.timeutil import in_vietnam

REGION = "DT"
TAG_MAX = 5
RANDOM_CHARS = 6
#: Crockford's base32 alphabet: digits and capitals without I, L, O and U.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ATTEMPTS = 8
BUSY = message("ledger.codes.busy")

_NOT_TAG = re.compile(r"[^A-Z0-9]")


def code_tag(product: Product) -> str:
    """The product's tag in a lot code: its code's first word, ``A–Z 0–9``, five at most."""
    first_word = re.split(r"[-._]", product.code.upper(), maxsplit=1)[0]
    return _NOT_TAG.sub("", first_word)[:TAG_MAX] or "LOT"


def code_stem(product: Product, when: datetime) -> str:
    """``DT-<TAG>-<YYMM>``: the part of a generated code before the random part."""
    return f"{REGION}-{code_tag(product)}-{in_vietnam(when):%y%m}"


def random_part() -> str:
    """Six characters of :data:`ALPHABET` from the operating system's random source, or from
    the draft's seeded stream while a signed write is drafted: the code is part of the document
    the author signs, so the write that applies the signature must draw the same one."""
    drawn = random_bytes("lot_code", RANDOM_CHARS)
    return "".join(ALPHABET[byte % len(ALPHABET)] for byte in drawn)  # 256 = 8 × 32: uniform


def new_code(stem: str) -> str:
    """A fresh code under ``stem``; unique only once the insert succeeds."""
    return f"{stem}-{random_part()}"


def insert_with_generated_code(
    session: Session, make_lot: Callable[[str], Lot], *, stem: str
) -> Lot:
    """Insert ``make_lot(code)`` under a fresh code, drawing again if the code is taken."""
    for _ in range(ATTEMPTS):
        code = new_code(stem)
        try:
            with session.begin_nested():
                lot = make_lot(code)
                session.add(lot)
        except IntegrityError:
            continue
        return lot
    raise Conflict(BUSY, field="code")
