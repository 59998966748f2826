"""The farm diary document (proof rules section 13): what a plot received before any lot existed.

Inputs are applied to a farm, not to a lot: when the grower sprays, no harvest lot exists yet.
Each season diary entry is therefore a document of its own, ``sentrace/farm-diary@1``, chained
per farm by ``seq`` and ``prev`` exactly as a lot's events are, and signed by its organisation
with the same EIP-712 ``Event`` statement, its ``lotKey`` being :func:`diary_key` of the farm
(``farm/`` + farm code: a lot code never holds ``/``, so no diary and lot ever share a key).
A harvest lot's first event then repeats the entries since the farm's previous harvest, each
as ``{"document": …, "signature": …}`` (section 13.3), so they are anchored with the lot.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from backend.hashing.canonical import _event_id, _label, _object, _timestamp
from backend.hashing.keccak import new_keccak
from backend.hashing.values import MAX_SAFE_INTEGER

DIARY_SCHEMA = "sentrace/farm-diary@1"
DIARY_TYPES = ("input_application", "phi_override", "claim_confirmation", "claim_revocation")
#: The entry types by which a regulator reviews a farm's stated certificates (section 13.4).
REVIEW_TYPES = ("claim_confirmation", "claim_revocation")
#: The members of a stated certificate a review names (``issuer`` only when one is stated).
CERTIFICATE_MEMBERS = ("scheme", "number", "issuer")


def diary_key(farm_code: str) -> bytes:
    """keccak256 of the UTF-8 of ``farm/`` + the NFC farm code: the ``lotKey`` a diary entry's
    signature names (proof rules 13.2)."""
    return new_keccak(("farm/" + _label(farm_code, "farm")).encode("utf-8")).digest()


def review_certificate(item: Mapping[str, Any]) -> dict[str, str]:
    """``data.certificate`` of a review naming the stated certificate ``item``: its scheme,
    number and issuer as stated, so a review covers exactly these and not a later edit."""
    return {key: str(item[key]) for key in CERTIFICATE_MEMBERS if item.get(key)}


def diary_document(
    *,
    entry_id: str,
    farm_code: str,
    seq: int,
    prev: str | None,
    entry_type: str,
    occurred_at: datetime,
    org_slug: str,
    org_name: str,
    data: Mapping[str, Any],
) -> dict[str, Any]:
    """A ``sentrace/farm-diary@1`` document; ``prev`` is None exactly when ``seq`` is 1.

    Raises :class:`~backend.hashing.errors.NonCanonicalValue` naming a member that cannot be
    hashed (the service validated it already; this is the last line).
    """
    if entry_type not in DIARY_TYPES:
        raise ValueError(f"not a diary entry type: {entry_type!r}")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= MAX_SAFE_INTEGER:
        raise ValueError(f"seq out of range: {seq!r}")
    if (prev is None) != (seq == 1):
        raise ValueError("prev must be null exactly when seq is 1")
    return {
        "schema": DIARY_SCHEMA,
        "id": _event_id(entry_id),
        "farm": _label(farm_code, "farm"),
        "seq": seq,
        "prev": prev,
        "type": entry_type,
        "occurred_at": _timestamp(occurred_at),
        "org": _label(org_slug, "org"),
        "org_name": _label(org_name, "org_name"),
        "data": _object(data, "data"),
    }
