"""GTIN checking for products: 8, 12, 13 or 14 digits with a correct GS1 check digit → GTIN-14.

The GS1 rules live in ``qr.gtin`` (built on ``biip``, which also knows 893 as GS1 Vietnam), the
same function the label printer uses, so a product accepted here can always be printed. This
module only turns its error into the ledger's :class:`InvalidInput` naming the field, with a
message in Vietnamese then English.
"""

from __future__ import annotations

from typing import Any

from backend.errors import InvalidInput
from backend.i18n.messages import message
from qr.errors import InvalidGtin
from qr.gtin import normalize_gtin as _label_gtin

BAD_GTIN = message("catalog.bad_gtin")


def normalize_gtin(value: Any, *, field: str = "gtin") -> str:
    """The GTIN-14 form of ``value``; :class:`InvalidInput` naming ``field`` otherwise."""
    try:
        return _label_gtin(value)
    except InvalidGtin as exc:
        raise InvalidInput(BAD_GTIN, field=field) from exc
