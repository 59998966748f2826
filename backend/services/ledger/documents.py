"""The canonical document of a stored event: the one place a row becomes what is hashed.

Writing, verification, the proof bundle and the benchmarks all need an event's document. Were
each to assemble it from the row in its own way, a stored event could hash one way when written
and another when checked, and a verifier would call an honest record tampered (or the reverse).
So every one of them calls :func:`event_document`; the hashing rules themselves stay in
:mod:`backend.hashing`, which knows nothing of rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from backend.hashing import canonical_document


class StoredEvent(Protocol):
    """What the document needs of an event row (an ``Event``, or a row being prepared)."""

    id: str
    type: Any
    occurred_at: datetime
    location: Mapping[str, Any] | None
    data: Mapping[str, Any] | None


def event_document(event: StoredEvent, *, lot_code: str, org_slug: str) -> dict[str, Any]:
    """Rule 1's document for ``event`` of lot ``lot_code``, recorded by ``org_slug``.

    Raises :class:`~backend.hashing.HashingError` subclasses when a stored value has left the
    canonical value space (a tampered row, say): callers decide whether that is a 422 or a
    ``tampered`` verdict.
    """
    return canonical_document(
        event_id=event.id,
        lot_code=lot_code,
        event_type=str(event.type),
        occurred_at=event.occurred_at,
        org_slug=org_slug,
        location=event.location,
        data=event.data if event.data is not None else {},
    )
