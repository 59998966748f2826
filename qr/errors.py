"""Errors raised by the label package.

Every failure a caller can cause is a :class:`LabelError`, so the API can turn any of them into
a 422 with one ``except`` clause. Each class carries a stable ``code`` that the API maps to its
Vietnamese and English messages; the exception text itself is plain English for logs and tests.

    LabelError (ValueError)
    ├── InvalidGtin          GTIN has the wrong length, a non-digit or a wrong check digit
    ├── InvalidLotCode       lot code outside the GS1 AI 82 character set, empty or > 20 chars
    ├── InvalidSerial        serial number with the same faults as a lot code
    ├── InvalidBaseUrl       public base URL that cannot prefix a Digital Link
    ├── InvalidUri           a string that is not one of our label URIs
    ├── UnknownLayout        layout name we do not know
    ├── UnknownFormat        output format name we do not know
    ├── UnsupportedFormat    known format that the chosen layout cannot be printed in
    ├── UnsupportedDpi       printer resolution the layout does not offer
    ├── UnsupportedErrorCorrection  QR error correction other than M or Q
    ├── NoLabels             a request for zero labels
    ├── TooManyLabels        more labels than one file may hold
    └── DataTooLong          the code or the text cannot fit the label at a legible size
"""

from __future__ import annotations

from typing import ClassVar


class LabelError(ValueError):
    """Root of every error the caller can fix by changing the input."""

    code: ClassVar[str] = "label_error"


class InvalidGtin(LabelError):
    """Raised when a GTIN is not 8, 12, 13 or 14 digits with a valid GS1 check digit."""

    code = "invalid_gtin"


class InvalidLotCode(LabelError):
    """Raised when a lot code cannot be carried in GS1 AI (10): bad characters or too long."""

    code = "invalid_lot_code"


class InvalidSerial(LabelError):
    """Raised when a serial number cannot be carried in GS1 AI (21)."""

    code = "invalid_serial"


class InvalidBaseUrl(LabelError):
    """Raised when the public base URL is not an http(s) URL we can append a link path to."""

    code = "invalid_base_url"


class InvalidUri(LabelError):
    """Raised by the parser for a string that is neither a Digital Link nor an ``/l/`` link."""

    code = "invalid_uri"


class UnknownLayout(LabelError):
    """Raised for a layout name that is not in the layout table."""

    code = "unknown_layout"


class UnknownFormat(LabelError):
    """Raised for an output format name that has no renderer."""

    code = "unknown_format"


class UnsupportedFormat(LabelError):
    """Raised when a known format does not suit the layout (ZPL for an A4 laser sheet)."""

    code = "unsupported_format"


class UnsupportedDpi(LabelError):
    """Raised when the requested printer resolution is not one the layout is drawn for."""

    code = "unsupported_dpi"


class NoLabels(LabelError):
    """Raised when asked to render an empty run of labels."""

    code = "no_labels"


class FontMissing(LabelError):
    """Raised when a layout's font is not installed (the trilingual layout's comes from Debian's
    ``fonts-wqy-microhei``, installed by scripts/install_system_deps.sh, never downloaded)."""

    code = "font_missing"


class DataTooLong(LabelError):
    """Raised when the QR code or the text cannot fit the label at the minimum legible size."""

    code = "data_too_long"


class UnsupportedErrorCorrection(LabelError):
    """Raised for a QR error-correction level other than the ones labels are printed with."""

    code = "unsupported_error_correction"


class TooManyLabels(LabelError):
    """Raised when one file would hold more labels than :data:`qr.render.MAX_LABELS_PER_FILE`."""

    code = "too_many_labels"
