"""The event document v2 (rules v2, item 1): v1's members plus the lot's hash chain and facts.

``seq`` and ``prev`` chain a lot's events, so that none can go missing, be moved or reordered
without breaking a link. The lot's first event states every fact a page shows about the lot
(``lot_facts``) and, for a lot made by splitting or merging, which parent events produced it
(``parents``): facts read from other rows are facts nobody proved. ``org_name`` puts the
recording organisation's name under the hash for the same reason. docs/proof-rules.md gives the
whole shape; :mod:`backend.hashing.shape_v2` checks it.

Canonical bytes and event hash are v1's (``canonical_bytes``, ``event_hash``): RFC 8785 and
keccak256. The v1 builder stays as it is, so v1 records keep hashing as they were anchored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from backend.hashing.canonical import _event_id, _label, _object, _timestamp
from backend.hashing.errors import NonCanonicalValue
from backend.hashing.hexcodec import to_hex
from backend.hashing.merkle import _bytes32
from backend.hashing.shape_v2 import (
    SCHEMA_V2,
    Check,
    check_farm,
    check_lot_facts,
    check_parents,
    hash_hex,
)
from backend.hashing.values import MAX_SAFE_INTEGER, canonical_value


def canonical_document_v2(
    *,
    event_id: str,
    lot_code: str,
    seq: int,
    prev: bytes | str | None,
    event_type: str,
    occurred_at: datetime,
    org_slug: str,
    org_name: str,
    location: Mapping[str, Any] | None,
    data: Mapping[str, Any],
    lot_facts: Mapping[str, Any] | None = None,
    parents: Iterable[tuple[str, bytes | str]] | None = None,
) -> dict[str, Any]:
    """Assemble a document v2 with v1's normalisation and fast paths (see ``canonical_document``).

    ``seq`` counts the lot's events from 1; ``prev`` is the previous event's hash (32 bytes, or
    its lowercase ``0x`` hex), None exactly when ``seq`` is 1. ``lot_facts`` (build it with
    :func:`lot_facts`) is required on the first event and refused on the others; ``parents``,
    ``(parent lot code, parent event hash)`` pairs, only on the first event of a derived lot,
    and are written sorted by lot code. Raises :class:`NonCanonicalValue` naming the member.
    """
    first = _seq(seq) == 1
    document: dict[str, Any] = {
        "schema": SCHEMA_V2,
        "id": _event_id(event_id),
        "lot": _label(lot_code, "lot"),
        "seq": seq,
        "prev": _prev(prev, first=first),
        "type": _label(event_type, "type"),
        "occurred_at": _timestamp(occurred_at),
        "org": _label(org_slug, "org"),
        "org_name": _label(org_name, "org_name"),
        "location": None if location is None else _object(location, "location"),
        "data": _object(data, "data"),
    }
    if not first:
        if lot_facts is not None:
            raise NonCanonicalValue("lot_facts", "only a lot's first event states lot facts")
        if parents is not None:
            raise NonCanonicalValue("parents", "only a lot's first event names its parents")
        return document
    if lot_facts is None:
        raise NonCanonicalValue("lot_facts", "a lot's first event states the lot's facts")
    document["lot_facts"] = _checked(lot_facts, "lot_facts", check_lot_facts)
    if parents is not None:
        document["parents"] = parent_list(parents)
    return document


def _seq(value: Any) -> int:
    if type(value) is not int or not 1 <= value <= MAX_SAFE_INTEGER:
        raise NonCanonicalValue("seq", f"expected an integer from 1 to 2**53 - 1, got {value!r}")
    return value


def _prev(value: Any, *, first: bool) -> str | None:
    if first:
        if value is not None:
            raise NonCanonicalValue("prev", "the first event of a lot has no previous event")
        return None
    if value is None:
        raise NonCanonicalValue("prev", "every event after the first names the previous one")
    return _hash_text(value, "prev")


def _hash_text(value: Any, path: str) -> str:
    """A hash as lowercase ``0x`` hex: 32 bytes are written out, text must already be so."""
    if isinstance(value, bytes | bytearray | memoryview):
        try:
            return to_hex(_bytes32(value, path))
        except ValueError as exc:
            raise NonCanonicalValue(path, str(exc)) from None
    hash_hex(value, path)
    text: str = value
    return text


def _checked(value: Any, path: str, check: Check) -> Any:
    prepared = canonical_value(value, path=path)
    check(prepared, path)
    return prepared


def parent_list(parents: Iterable[tuple[str, bytes | str]]) -> list[dict[str, str]]:
    """``[{"lot": code, "event_hash": "0x…"}, …]`` sorted by lot code; each lot once."""
    listed = [
        {"lot": _label(lot, "parents.lot"), "event_hash": _hash_text(digest, "parents.event_hash")}
        for lot, digest in parents
    ]
    listed.sort(key=lambda parent: parent["lot"])
    check_parents(listed, "parents")
    return listed


def org_ref(slug: str, name: str) -> dict[str, str]:
    """How ``data`` names another organisation: ``{"org": slug, "name": name}``."""
    return {"org": _label(slug, "org"), "name": _label(name, "name")}


def org_ref_name(value: Any) -> str | None:
    """The name an :func:`org_ref` states, or None when ``value`` is not one (a rules-v1 slug,
    say): readers take the shown name from the hashed reference, never from a row."""
    if (
        isinstance(value, Mapping)
        and value.keys() == {"org", "name"}
        and isinstance(value["org"], str)
        and isinstance(value["name"], str)
    ):
        return value["name"]
    return None


def farm_facts(
    *,
    code: str,
    name: str | Mapping[str, str],
    commune: str,
    province: str,
    growing_area_code: str | None = None,
    certifications: Sequence[Mapping[str, Any]] = (),
    point: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The farm member of ``lot_facts``; ``name`` may be a commitment, ``point`` must be one.

    A farm named after its owner is a personal name: pass ``commit(name, salt)``. ``point`` is
    the commitment of the exact position (``commit({"lat": …, "lon": …}, salt)``) or None.
    """
    facts = {
        "code": code,
        "name": name,
        "commune": commune,
        "province": province,
        "growing_area_code": growing_area_code,
        "certifications": list(certifications),
        "point": point,
    }
    checked: dict[str, Any] = _checked(facts, "lot_facts.farm", check_farm)
    return checked


def lot_facts(
    *,
    product_code: str,
    product_name: str,
    product_name_en: str | None,
    gtin: str | None,
    producer_slug: str,
    producer_name: str,
    farm: Mapping[str, Any] | None,
    quantity: str,
    unit: str,
    harvested_at: datetime | None,
) -> dict[str, Any]:
    """The facts a page shows of a lot, for its first event; ``farm`` from :func:`farm_facts`."""
    facts = {
        "product": {
            "code": product_code,
            "name": product_name,
            "name_en": product_name_en,
            "gtin": gtin,
        },
        "producer": {"org": producer_slug, "name": producer_name},
        "farm": None if farm is None else dict(farm),
        "quantity": quantity,
        "unit": unit,
        "harvested_at": None if harvested_at is None else _harvest_time(harvested_at),
    }
    checked: dict[str, Any] = _checked(facts, "lot_facts", check_lot_facts)
    return checked


def _harvest_time(value: datetime) -> str:
    try:
        return _timestamp(value)
    except NonCanonicalValue as exc:
        raise NonCanonicalValue("lot_facts.harvested_at", exc.problem) from None
