"""Whether a lot's record shows it in transit: read from its events' documents alone.

A transfer whose ``data`` names a ``shipment`` opened that shipment (docs/custody.md); a later
``transfer_received``, ``transfer_refused`` or ``transfer_voided`` naming the same shipment
closed it. The lot is in transit while the newest such transfer is still open. Transfers
recorded before two-step custody name no shipment: custody moved with them, nothing is open.
Pages and the public API use this rule on verified documents, never on the shipment table,
so what a consumer reads about transit is as proven as the rest of the journey.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from backend.models import EventType

CLOSING_TYPES = frozenset(
    {EventType.TRANSFER_RECEIVED, EventType.TRANSFER_REFUSED, EventType.TRANSFER_VOIDED}
)


def open_transfer(events: Iterable[tuple[str, Mapping[str, Any]]]) -> Mapping[str, Any] | None:
    """The ``data`` of the transfer still waiting for its receiver, given the lot's events as
    ``(type, data)`` in the lot's order; ``None`` when the lot is not in transit."""
    waiting: Mapping[str, Any] | None = None
    for kind, data in events:
        shipment = data.get("shipment") if isinstance(data, Mapping) else None
        if kind == EventType.TRANSFER:
            waiting = data if isinstance(shipment, str) else None
        elif kind in CLOSING_TYPES and waiting is not None and shipment == waiting["shipment"]:
            waiting = None
    return waiting
