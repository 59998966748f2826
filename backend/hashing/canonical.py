"""The canonical event document (rule 1), its bytes (rule 2), event hash and lot key (rule 3)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from backend.hashing.errors import NonCanonicalValue
from backend.hashing.jcs import canonical_json, quick_json
from backend.hashing.keccak import new_keccak
from backend.hashing.values import canonical_value
from backend.timeutil import rfc3339_z

SCHEMA = "sentrace/event@1"

_UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_RFC3339_Z = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")


def canonical_document(
    *,
    event_id: str,
    lot_code: str,
    event_type: str,
    occurred_at: datetime,
    org_slug: str,
    location: Mapping[str, Any] | None,
    data: Mapping[str, Any],
) -> dict[str, Any]:
    """Assemble the document whose hash is anchored, exactly as rule 1 lays it out.

    Strings come back NFC-normalised, ``occurred_at`` as RFC 3339 UTC with ``Z`` and whole
    seconds (naive datetimes are read as UTC, as the database hands them back). ``event_id`` must
    already be the lowercase hyphenated UUID that is stored: a different spelling of the same
    UUID would hash differently, so it is refused rather than rewritten.

    ``location`` and ``data`` that are already plain and NFC (as stored rows are) are used as
    given, not copied, because this runs for every event on every verification: treat the
    arguments and the document as read-only. Anything else is validated and normalised into a
    copy; a value outside the canonical value space raises :class:`NonCanonicalValue` naming
    its path, such as ``data.dose``.
    """
    return {
        "schema": SCHEMA,
        "id": _event_id(event_id),
        "lot": _label(lot_code, "lot"),
        "type": _label(event_type, "type"),
        "occurred_at": _timestamp(occurred_at),
        "org": _label(org_slug, "org"),
        "location": None if location is None else _object(location, "location"),
        "data": _object(data, "data"),
    }


def _event_id(value: Any) -> str:
    # The spelling ``str(uuid.UUID(...))`` produces, matched without the slower round trip.
    if isinstance(value, str) and _UUID_TEXT.fullmatch(value):
        return str.__str__(value)
    raise NonCanonicalValue("id", f"expected a lowercase hyphenated UUID, got {value!r}")


def _label(value: Any, path: str) -> str:
    if type(value) is str and value.isascii() and value:
        return value  # the usual slug or code: nothing to normalise
    if not isinstance(value, str) or not value:
        raise NonCanonicalValue(path, f"expected non-empty text, got {value!r}")
    text: str = canonical_value(value, path=path)
    return text


def _timestamp(value: Any) -> str:
    if not isinstance(value, datetime):
        raise NonCanonicalValue("occurred_at", f"expected a datetime, got {type(value).__name__}")
    text = rfc3339_z(value)
    if not _RFC3339_Z.fullmatch(text):
        raise NonCanonicalValue("occurred_at", f"year outside 1000–9999: {text}")
    return text


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise NonCanonicalValue(path, f"expected an object, got {type(value).__name__}")
    if quick_json(value) is not None:
        plain: dict[str, Any] = value
        return plain
    prepared: dict[str, Any] = canonical_value(value, path=path)
    return prepared


def canonical_bytes(document: Mapping[str, Any]) -> bytes:
    """RFC 8785 bytes of the NFC-normalised document (rule 2); refuses non-canonical values."""
    if not isinstance(document, Mapping):
        raise NonCanonicalValue("", f"a document is an object, got {type(document).__name__}")
    return canonical_json(document)


def event_hash(document: Mapping[str, Any]) -> bytes:
    """keccak256 of the canonical bytes (rule 3): the fingerprint that is anchored."""
    return new_keccak(canonical_bytes(document)).digest()


def lot_key(lot_code: str) -> bytes:
    """keccak256 of the UTF-8 of the NFC lot code (rule 3): how the chain names a lot."""
    return new_keccak(_label(lot_code, "lot").encode("utf-8")).digest()
