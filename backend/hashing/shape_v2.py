"""The shape of an event document v2, checked member by member, and reading stored bytes.

Rules v2 store the exact canonical bytes of every event and render pages from them, so the
reader of those bytes is where a verifier (ours or anyone's) decides whether a document is one
it understands. :func:`read_document` accepts bytes only when they are the canonical form of
their own content and every member has the shape docs/proof-rules.md gives; anything else is a
:class:`~backend.hashing.errors.NonCanonicalValue` naming the member, such as
``lot_facts.product.gtin``. The builder in :mod:`backend.hashing.canonical_v2` uses the same
checks for the parts it takes as mappings (``lot_facts``, ``parents``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson

from backend.hashing.commitments import is_commitment
from backend.hashing.errors import NonCanonicalValue
from backend.hashing.jcs import canonical_json
from backend.hashing.keccak import new_keccak
from backend.hashing.memo import DigestMemo
from backend.hashing.values import MAX_SAFE_INTEGER

SCHEMA_V2 = "sentrace/event@2"

#: ``(value, path) -> None``, raising :class:`NonCanonicalValue` when the value does not fit.
Check = Callable[[Any, str], None]

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_HASH = re.compile(r"0x[0-9a-f]{64}")
_GTIN14 = re.compile(r"[0-9]{14}")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?")
_TIMESTAMP = re.compile(r"[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


def _pattern(regex: re.Pattern[str], expected: str) -> Check:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, str) or not regex.fullmatch(value):
            raise NonCanonicalValue(path, f"expected {expected}, got {value!r}")

    return check


def text(value: Any, path: str) -> None:
    """Non-empty text (NFC is guaranteed by the canonical bytes around it)."""
    if not isinstance(value, str) or not value:
        raise NonCanonicalValue(path, f"expected non-empty text, got {value!r}")


def timestamp(value: Any, path: str) -> None:
    """RFC 3339 in UTC with ``Z`` and whole seconds, years 1000–9999, a real date and time."""
    valid = isinstance(value, str) and _TIMESTAMP.fullmatch(value) is not None
    try:
        valid = valid and bool(datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        valid = False
    if not valid:
        raise NonCanonicalValue(path, f"expected YYYY-MM-DDTHH:MM:SSZ, got {value!r}")


def commitment(value: Any, path: str) -> None:
    if not is_commitment(value):
        raise NonCanonicalValue(path, 'expected {"commitment": "0x" + 64 lowercase hex digits}')


def an_object(value: Any, path: str) -> None:
    if not isinstance(value, dict):
        raise NonCanonicalValue(path, f"expected an object, got {type(value).__name__}")


event_id = _pattern(_UUID, "a lowercase hyphenated UUID")
hash_hex = _pattern(_HASH, "0x and 64 lowercase hex digits")
gtin14 = _pattern(_GTIN14, "a GTIN-14 (14 digits)")
decimal = _pattern(_DECIMAL, "a decimal string such as 1250.5")


def nullable(check: Check) -> Check:
    def nullable_check(value: Any, path: str) -> None:
        if value is not None:
            check(value, path)

    return nullable_check


def private(check: Check) -> Check:
    """The value itself or its commitment (a private value in a public document)."""

    def private_check(value: Any, path: str) -> None:
        if not is_commitment(value):
            check(value, path)

    return private_check


def list_of(check: Check) -> Check:
    def list_check(value: Any, path: str) -> None:
        if not isinstance(value, list):
            raise NonCanonicalValue(path, f"expected a list, got {type(value).__name__}")
        for index, item in enumerate(value):
            check(item, f"{path}[{index}]")

    return list_check


def members(required: Mapping[str, Check], optional: Mapping[str, Check] | None = None) -> Check:
    """An object with every ``required`` member, any of ``optional``, and nothing else."""
    allowed = {**required, **(optional or {})}

    def members_check(value: Any, path: str) -> None:
        an_object(value, path)
        missing = sorted(set(required) - set(value))
        unknown = sorted(set(value) - set(allowed))
        if missing or unknown:
            raise NonCanonicalValue(path, f"missing members {missing}, unknown members {unknown}")
        for name, item in value.items():
            allowed[name](item, f"{path}.{name}" if path else name)

    return members_check


check_farm = members(
    {
        "code": text,
        "name": private(text),
        "commune": text,
        "province": text,
        "growing_area_code": nullable(text),
        "certifications": list_of(an_object),
        "point": nullable(commitment),
    }
)
check_lot_facts = members(
    {
        "product": members(
            {"code": text, "name": text, "name_en": nullable(text), "gtin": nullable(gtin14)}
        ),
        "producer": members({"org": text, "name": text}),
        "farm": nullable(check_farm),
        "quantity": decimal,
        "unit": text,
        "harvested_at": nullable(timestamp),
    }
)


def check_parents(value: Any, path: str) -> None:
    """A non-empty list of ``{lot, event_hash}``, sorted by lot code, each lot once."""
    list_of(members({"lot": text, "event_hash": hash_hex}))(value, path)
    lots = [parent["lot"] for parent in value]
    if not lots or lots != sorted(set(lots)):
        raise NonCanonicalValue(path, "expected parents sorted by lot code, each lot once")


def _schema(value: Any, path: str) -> None:
    if value != SCHEMA_V2:
        raise NonCanonicalValue(path, f"expected {SCHEMA_V2!r}, got {value!r}")


def _seq(value: Any, path: str) -> None:
    if type(value) is not int or not 1 <= value <= MAX_SAFE_INTEGER:
        raise NonCanonicalValue(path, f"expected an integer from 1 to 2**53 - 1, got {value!r}")


_DOCUMENT = members(
    {
        "schema": _schema,
        "id": event_id,
        "lot": text,
        "seq": _seq,
        "prev": nullable(hash_hex),
        "type": text,
        "occurred_at": timestamp,
        "org": text,
        "org_name": text,
        "location": nullable(an_object),
        "data": an_object,
    },
    {"lot_facts": check_lot_facts, "parents": check_parents},
)


def check_document_v2(document: Any) -> None:
    """Refuse a document v2 whose members or their links (seq, prev, lot_facts) do not fit.

    ``prev`` is null exactly when ``seq`` is 1; ``lot_facts`` is present exactly on the first
    event; ``parents`` only on the first event of a derived lot.
    """
    _DOCUMENT(document, "")
    first = document["seq"] == 1
    if first != (document["prev"] is None):
        raise NonCanonicalValue("prev", "prev is null exactly when seq is 1")
    if first != ("lot_facts" in document):
        raise NonCanonicalValue("lot_facts", "lot_facts is present exactly when seq is 1")
    if not first and "parents" in document:
        raise NonCanonicalValue("parents", "only a lot's first event names its parents")


def read_document(raw: bytes) -> dict[str, Any]:
    """The document v2 whose canonical bytes are ``raw``; refuses any other bytes.

    Bytes that parse but are not their own canonical form (spaces, key order, duplicate keys,
    NFD text, ``1.0``) are refused, so that what is shown is exactly what was hashed.

    Whether given bytes pass is a pure function of those bytes, and every verification reads
    the same stored bytes again, so a pass is remembered, keyed by the Keccak-256 of the
    exact bytes (:mod:`backend.hashing.memo`; a refusal is not: it raises). Each call still
    parses the bytes into a new document of its own.
    """
    raw = bytes(raw)
    _accepted(raw)
    document: dict[str, Any] = orjson.loads(raw)
    return document


@lru_cache(maxsize=8192)
def _accepted(raw: bytes) -> bool:
    """First memo, by the exact bytes (a hit is one dictionary look-up); behind it a larger
    one by their digest, so a long ancestry's documents are not all checked again."""
    key = new_keccak(raw).digest()
    if _accepted_digests.get(key) is None:
        _check_accepted(raw)
        _accepted_digests.put(key, True)
    return True


#: Canonical bytes known to pass, by digest: room for the documents of a lot whose ancestors
#: hold tens of thousands of events (about 100 bytes an entry).
_accepted_digests = DigestMemo(maxsize=65_536)


def _check_accepted(raw: bytes) -> bool:
    """True when ``raw`` are the canonical bytes of a well-formed document v2; else raises."""
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise NonCanonicalValue("", f"not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise NonCanonicalValue("", "a document is an object")
    if canonical_json(document) != raw:
        raise NonCanonicalValue("", "the bytes are not the canonical form of the document")
    check_document_v2(document)
    return True
