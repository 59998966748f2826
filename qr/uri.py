"""Label URIs: GS1 Digital Link for products with a GTIN, ``/l/`` links for the rest.

Forms (``{base}`` is ``SENTRACE_PUBLIC_BASE_URL``)::

    {base}/01/{gtin14}/10/{lot}[/21/{serial}]     GS1 Digital Link (GTIN known)
    {base}/l/{lot}[/{serial}]                      SenTrace lot link (no GTIN)

Lot codes and serials are validated against GS1 AI 82 (see :mod:`qr.identifiers`) and every
character outside RFC 3986's "unreserved" set is percent-encoded, as the GS1 Digital Link
standard does for AI values: ``/``, ``%``, ``?``, ``"`` and friends can then never change the
shape of the path. The parser accepts a full URL or just its path; it skips any prefix of the
base path, which is why a base path may not itself contain an ``l`` or an all-digit segment
(those would look like the start of a link).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import quote, unquote, urlsplit

from biip import BiipException
from biip.gs1_digital_link_uris import GS1DigitalLinkURI

from qr.errors import InvalidBaseUrl, InvalidUri
from qr.gtin import normalize_gtin
from qr.identifiers import validate_lot, validate_serial

GTIN_KEY = "01"
LOT_KEY = "10"
SERIAL_KEY = "21"
#: Data attributes of an export label's Digital Link (GS1 General Specifications 3.4.3, 3.9.6).
BEST_BEFORE_KEY = "15"
HARVEST_DATE_KEY = "7007"
LOT_LINK_KEY = "l"
# Qualifiers GS1 allows after a GTIN, in their required order; 22 (consumer product variant)
# is accepted when parsing but never produced.
_GTIN_QUALIFIERS = ("22", LOT_KEY, SERIAL_KEY)
# biip wants an absolute URL; the host plays no part in the element strings.
_PARSE_HOST = "https://link.invalid"


@dataclass(frozen=True)
class DigitalLink:
    """What a label URI identifies: a lot, maybe of a GTIN, maybe one serialised unit."""

    gtin: str | None
    lot: str
    serial: str | None = None

    def uri(self, base_url: str) -> str:
        """The URI for these fields under ``base_url`` (inverse of :func:`parse_uri`)."""
        return build_uri(base_url, lot=self.lot, gtin=self.gtin, serial=self.serial)


def build_uri(
    base_url: str,
    *,
    lot: str,
    gtin: str | None = None,
    serial: str | None = None,
    harvest_date: date | None = None,
    best_before: date | None = None,
) -> str:
    """The URI printed in a label's QR code.

    On a GS1 Digital Link (a GTIN is known) the harvest date and best-before date, when
    given, follow as data attributes in the query: AI 7007 (harvest date) and AI 15 (best
    before), both YYMMDD, in AI order (``?15=260520&7007=260501``). A ``/l/`` link carries
    neither: it is no GS1 link, and its page states both from the record.
    """
    base = _checked_base(base_url)
    lot_segment = _encode(validate_lot(lot))
    serial_segment = None if serial is None else _encode(validate_serial(serial))
    if gtin is not None:
        uri = f"{base}/{GTIN_KEY}/{normalize_gtin(gtin)}/{LOT_KEY}/{lot_segment}"
        uri = uri if serial_segment is None else f"{uri}/{SERIAL_KEY}/{serial_segment}"
        attributes = [
            f"{key}={value.strftime('%y%m%d')}"
            for key, value in ((BEST_BEFORE_KEY, best_before), (HARVEST_DATE_KEY, harvest_date))
            if value is not None
        ]
        return f"{uri}?{'&'.join(attributes)}" if attributes else uri
    uri = f"{base}/{LOT_LINK_KEY}/{lot_segment}"
    return uri if serial_segment is None else f"{uri}/{serial_segment}"


def parse_uri(uri_or_path: str) -> DigitalLink:
    """Read a label URI (or its path) back into its fields.

    Raises only :class:`~qr.errors.LabelError` subclasses: ``InvalidUri`` for a wrong shape,
    ``InvalidGtin`` / ``InvalidLotCode`` / ``InvalidSerial`` for a bad value.
    """
    segments = _path_segments(uri_or_path)
    gtin_at = _index(segments, GTIN_KEY)
    lot_link_at = _index(segments, LOT_LINK_KEY)
    if lot_link_at is not None and (gtin_at is None or lot_link_at < gtin_at):
        return _parse_lot_link(segments[lot_link_at + 1 :])
    if gtin_at is not None:
        return _parse_digital_link(segments[gtin_at:])
    raise InvalidUri(
        f"{uri_or_path!r} is not a SenTrace label link: its path has neither /01/ nor /l/"
    )


def _encode(value: str) -> str:
    return quote(value, safe="")


def _checked_base(base_url: str) -> str:
    try:
        parts = urlsplit(base_url)
    except ValueError as exc:
        raise InvalidBaseUrl(f"base URL {base_url!r} is not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidBaseUrl(f"base URL {base_url!r} must be an absolute http(s) URL")
    if parts.query or parts.fragment:
        raise InvalidBaseUrl(f"base URL {base_url!r} must not have a query or a fragment")
    for segment in parts.path.split("/"):
        if segment == LOT_LINK_KEY or (segment and segment.isdigit()):
            raise InvalidBaseUrl(
                f"base URL {base_url!r} has the path segment {segment!r}, which would be "
                "mistaken for the start of a label link"
            )
    return base_url.rstrip("/")


def _path_segments(uri_or_path: str) -> list[str]:
    if not isinstance(uri_or_path, str):
        raise InvalidUri(f"expected a URI string, got {type(uri_or_path).__name__}")
    try:
        parts = urlsplit(uri_or_path)
    except ValueError as exc:
        raise InvalidUri(f"{uri_or_path!r} is not a valid URI: {exc}") from exc
    if parts.scheme not in ("", "http", "https"):
        raise InvalidUri(f"{uri_or_path!r} must be an http(s) URL or a path")
    segments = parts.path.split("/")
    if segments and segments[0] == "":
        segments = segments[1:]
    if segments and segments[-1] == "":
        segments = segments[:-1]
    if "" in segments:
        raise InvalidUri(f"{uri_or_path!r} has an empty path segment")
    return segments


def _index(segments: list[str], key: str) -> int | None:
    try:
        return segments.index(key)
    except ValueError:
        return None


def _parse_lot_link(rest: list[str]) -> DigitalLink:
    if len(rest) not in (1, 2):
        raise InvalidUri(
            f"a lot link is /l/<lot> or /l/<lot>/<serial>, got {len(rest)} segments after /l/"
        )
    lot = validate_lot(unquote(rest[0]))
    serial = validate_serial(unquote(rest[1])) if len(rest) == 2 else None
    return DigitalLink(gtin=None, lot=lot, serial=serial)


def _parse_digital_link(segments: list[str]) -> DigitalLink:
    if len(segments) % 2:
        raise InvalidUri(f"a Digital Link path has key/value pairs, got {'/'.join(segments)!r}")
    pairs = list(zip(segments[::2], segments[1::2], strict=True))
    # Check the values ourselves first so the caller learns which field is wrong; biip then
    # checks the structure (which qualifiers, in which order).
    values: dict[str, str] = {}
    for key, raw in pairs:
        if key != GTIN_KEY and key not in _GTIN_QUALIFIERS:
            raise InvalidUri(f"a product Digital Link cannot carry AI ({key}) in its path")
        values[key] = unquote(raw)
    gtin = normalize_gtin(values[GTIN_KEY])
    lot = validate_lot(values[LOT_KEY]) if LOT_KEY in values else None
    serial = validate_serial(values[SERIAL_KEY]) if SERIAL_KEY in values else None
    try:
        GS1DigitalLinkURI.parse(f"{_PARSE_HOST}/{'/'.join(segments)}")
    except BiipException as exc:
        raise InvalidUri(f"not a valid GS1 Digital Link: {exc}") from exc
    if lot is None:
        raise InvalidUri("the Digital Link has no lot (AI 10); SenTrace labels always have one")
    return DigitalLink(gtin=gtin, lot=lot, serial=serial)
