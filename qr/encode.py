"""QR symbols: encoding a URI and choosing how many printer dots each module gets.

Decisions, so that every output format prints the same symbol:

* **Byte mode only.** The URI is encoded as one 8-bit byte segment. That costs a few modules
  against mixed-mode optimisation, but a Zebra printer told "manual input, byte mode" (see
  :mod:`qr.render.zpl`) then picks exactly the version we reserved space for.
* **Error correction** M by default (15 % recovery is plenty for an indoor label), Q (25 %)
  for labels that live in cold rooms and get scuffed.
* **Size rule.** "At least 18 mm wide" is applied to the *symbol*, the dark-module area a
  scanner locks on to; the 4-module quiet zone comes on top and is kept blank inside the label.
* **Integer dots per module, never resampled.** A module is a whole number of printer dots,
  chosen so the symbol comes as close to the layout's target width as whole dots allow (the
  label then looks the same at 203 and 300 dpi), within the QR slot. Below 2 dots a module
  cannot survive thermal dot gain (a burnt dot bleeds into its neighbours), so 2 is the
  floor; the 18 mm rule is usually the binding one. If they cannot all be met the data is too
  long for the label: :class:`~qr.errors.DataTooLong`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M, ERROR_CORRECT_Q
from qrcode.exceptions import DataOverflowError
from qrcode.util import MODE_8BIT_BYTE, QRData

from qr.errors import DataTooLong, UnsupportedErrorCorrection

QUIET_ZONE_MODULES = 4
MIN_MODULE_DOTS = 2


class ErrorCorrection(StrEnum):
    """QR error-correction levels labels may use."""

    M = "M"
    Q = "Q"


_QRCODE_LEVEL = {ErrorCorrection.M: ERROR_CORRECT_M, ErrorCorrection.Q: ERROR_CORRECT_Q}


def error_correction(value: str | ErrorCorrection) -> ErrorCorrection:
    """Parse ``"M"`` / ``"Q"`` (any case) into :class:`ErrorCorrection`."""
    try:
        return ErrorCorrection(str(value).upper())
    except ValueError:
        raise UnsupportedErrorCorrection(
            f"QR error correction {value!r} is not offered; use M (default) or Q"
        ) from None


@dataclass(frozen=True)
class QrSymbol:
    """An encoded QR symbol without its quiet zone.

    ``pixels`` holds one byte per module, row by row: 0 for a dark module, 255 for a light
    one, which is the layout Pillow's ``L`` mode wants.
    """

    data: str
    error_correction: ErrorCorrection
    version: int
    size: int
    pixels: bytes

    @property
    def size_with_quiet_zone(self) -> int:
        return self.size + 2 * QUIET_ZONE_MODULES

    def is_dark(self, row: int, col: int) -> bool:
        return self.pixels[row * self.size + col] == 0

    def image(self, module_dots: int) -> Image.Image:
        """The symbol at ``module_dots`` dots per module, as a 1-bit image (no quiet zone)."""
        base = Image.frombytes("L", (self.size, self.size), self.pixels)
        side = self.size * module_dots
        return base.resize((side, side), Image.Resampling.NEAREST).convert("1")


@lru_cache(maxsize=512)
def encode_qr(data: str, level: ErrorCorrection = ErrorCorrection.M) -> QrSymbol:
    """Encode ``data`` (UTF-8, byte mode) in the smallest QR version that holds it.

    Cached: a run of labels without serials repeats the same URI.
    """
    code = qrcode.QRCode(error_correction=_QRCODE_LEVEL[level], border=0)
    code.add_data(QRData(data.encode("utf-8"), mode=MODE_8BIT_BYTE))
    try:
        code.make(fit=True)
    except (DataOverflowError, ValueError) as exc:
        # qrcode signals "needs a version above 40" with either of these, depending on how
        # far over the data is.
        raise DataTooLong(
            f"{len(data.encode())} bytes do not fit in any QR code at error correction {level}"
        ) from exc
    matrix = code.get_matrix()
    pixels = bytes(0 if dark else 255 for row in matrix for dark in row)
    return QrSymbol(
        data=data, error_correction=level, version=code.version, size=len(matrix), pixels=pixels
    )


def choose_module_dots(
    symbol: QrSymbol,
    *,
    slot_dots: int,
    min_width_dots: int,
    target_width_dots: int | None = None,
    max_module_dots: int | None = None,
) -> int:
    """Dots per module for ``symbol`` in a square slot of ``slot_dots`` (quiet zone included).

    The symbol is made as close to ``target_width_dots`` as whole dots allow without going
    over it, but never narrower than ``min_width_dots`` nor larger than the slot (or than
    ``max_module_dots`` per module). Aiming at a physical width rather than filling the slot
    keeps a label looking the same at 203 and 300 dpi. Raises :class:`DataTooLong` when no
    module size of at least :data:`MIN_MODULE_DOTS` meets all of that.
    """
    largest = slot_dots // symbol.size_with_quiet_zone
    if max_module_dots is not None:
        largest = min(largest, max_module_dots)
    smallest = max(MIN_MODULE_DOTS, -(-min_width_dots // symbol.size))
    wanted = largest if target_width_dots is None else target_width_dots // symbol.size
    module_dots = min(largest, max(smallest, wanted))
    if module_dots < smallest:
        raise DataTooLong(
            f"the QR code for {symbol.data!r} needs {symbol.size} modules (version "
            f"{symbol.version}) plus a {QUIET_ZONE_MODULES}-module quiet zone; in a "
            f"{slot_dots}-dot space it cannot be {min_width_dots} dots wide with at least "
            f"{MIN_MODULE_DOTS} dots per module. Use a shorter lot code, serial or base URL, "
            "or a larger label"
        )
    return module_dots
