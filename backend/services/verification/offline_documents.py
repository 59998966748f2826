"""The bytes an offline check hashes, per rules: rebuilt from the document (v1), as stored (v2).

Rules v1 bundles carry each event's document; its canonical bytes are recomputed from it. Rules
v2 store the exact canonical bytes of every event and hash those (docs/proof-rules.md, 3.5), so
a v2 bundle carries them as stored (``canonical_hex``) and the verifier reads the document out
of them with the public reader (``read_document``): bytes that are not their own canonical form,
or a ``document`` member that says something else than the bytes, fail.

Which rules a lot follows is said by its ``lots`` entry in a v2 bundle; anything but an explicit
``sentrace/event@1`` is read as v2, so relabelling a lot cannot switch its checks off.
"""

from __future__ import annotations

from typing import Any

from backend.hashing import (
    SCHEMA,
    SCHEMA_V2,
    HashingError,
    canonical_bytes,
    from_hex,
    read_document,
)
from backend.services.verification.offline_report import EventResult
from backend.services.verification.proof_bundle import BUNDLE_FORMAT, BUNDLE_FORMAT_V2

__all__ = [
    "BUNDLE_FORMAT",
    "BUNDLE_FORMAT_V2",
    "document_bytes_v1",
    "document_bytes_v2",
    "lot_rules",
]

#: The bytes an event hashes and the document they hold.
Read = tuple[bytes, dict[str, Any]]


def lot_rules(bundle: dict[str, Any]) -> dict[str, str]:
    """Lot code → the rules its events are read under, for a rules v2 bundle."""
    return {
        str(item.get("code")): SCHEMA if item.get("rules") == SCHEMA else SCHEMA_V2
        for item in bundle.get("lots") or []
        if isinstance(item, dict)
    }


def document_bytes_v1(entry: dict[str, Any], event: EventResult) -> Read | None:
    """The canonical bytes rebuilt from the entry's document; None after failing ``event``."""
    document = entry.get("document")
    if not isinstance(document, dict):
        event.fail("no_document", problem=entry.get("problem") or "document missing")
        return None
    if document.get("schema") != SCHEMA:
        event.fail("schema", expected=SCHEMA, found=document.get("schema"))
        return None
    try:
        raw = canonical_bytes(document)
    except HashingError as exc:
        event.fail("unhashable", problem=exc)
        return None
    _check_text(entry, raw, event)
    return raw, document


def document_bytes_v2(entry: dict[str, Any], event: EventResult) -> Read | None:
    """The stored bytes and the document read from them; None after failing ``event``."""
    stored = entry.get("canonical_hex")
    if not isinstance(stored, str):
        event.fail("no_document", problem=entry.get("problem") or "no stored bytes")
        return None
    try:
        raw = from_hex(stored, size=None)
        document = read_document(raw)
    except HashingError as exc:
        event.fail("not_canonical", problem=exc)
        return None
    _check_text(entry, raw, event)
    if entry.get("document") != document:
        event.fail("document_mismatch")
    return raw, document


def _check_text(entry: dict[str, Any], raw: bytes, event: EventResult) -> None:
    """The readable copy of the bytes (``canonical_json``), when given, must be those bytes."""
    given_raw = entry.get("canonical_json")
    if given_raw is not None and given_raw != raw.decode("utf-8"):
        event.fail("canonical_mismatch")
