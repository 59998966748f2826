"""Readable lot codes, generated when the caller brings none: ``DT-XOAI-2611-000123``.

``DT`` (Đồng Tháp), a tag from the product code, the year and month (Vietnam time) and a
six-digit counter: at most 20 characters of ``A–Z 0–9 -``, so the code fits GS1 AI (10) and a
URL path as it is, and a person can read it off a box. Two writers may pick the same next
number at once; the insert then fails on the unique code and is retried with the next number
inside a savepoint, so the surrounding transaction survives.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backend.errors import Conflict
from backend.i18n.messages import message
from backend.models import Lot, Product
from backend.timeutil import in_vietnam

REGION = "DT"
TAG_MAX = 5
COUNTER_DIGITS = 6
ATTEMPTS = 8
EXHAUSTED = message("ledger.codes.exhausted")
BUSY = message("ledger.codes.busy")

_NOT_TAG = re.compile(r"[^A-Z0-9]")


def code_tag(product: Product) -> str:
    """The product's tag in a lot code: its code's first word, ``A–Z 0–9``, five at most."""
    first_word = re.split(r"[-._]", product.code.upper(), maxsplit=1)[0]
    return _NOT_TAG.sub("", first_word)[:TAG_MAX] or "LOT"


def code_stem(product: Product, when: datetime) -> str:
    """``DT-<TAG>-<YYMM>``: the part of a generated code before the counter."""
    return f"{REGION}-{code_tag(product)}-{in_vietnam(when):%y%m}"


def next_code(session: Session, stem: str) -> str:
    """The code after the highest numbered code under ``stem``."""
    query = (
        select(Lot.code)
        .where(col(Lot.code).startswith(stem + "-", autoescape=True))
        .order_by(col(Lot.code).desc())
    )
    highest = 0
    for existing in session.exec(query):
        suffix = existing[len(stem) + 1 :]
        if len(suffix) == COUNTER_DIGITS and suffix.isdigit():
            highest = int(suffix)
            break
    if highest + 1 >= 10**COUNTER_DIGITS:
        raise Conflict(EXHAUSTED, field="code")
    return f"{stem}-{highest + 1:0{COUNTER_DIGITS}d}"


def insert_with_generated_code(
    session: Session, make_lot: Callable[[str], Lot], *, stem: str
) -> Lot:
    """Insert ``make_lot(code)`` under the next free code, retrying when a writer races us."""
    for _ in range(ATTEMPTS):
        code = next_code(session, stem)
        try:
            with session.begin_nested():
                lot = make_lot(code)
                session.add(lot)
        except IntegrityError:
            continue
        return lot
    raise Conflict(BUSY, field="code")
