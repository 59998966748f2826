"""A batch as a field worker logs it: harvests that create their lots, and observations.

A member in an orchard with no signal records a harvest, then a quality check of that harvest,
then an input sprayed on another lot, and uploads them later in that order. An observation
goes through :func:`backend.services.ledger.events.add_lot_events`; a harvest item creates its
lot exactly as ``POST /api/v1/lots`` does (:func:`create_harvest_lot`): the item's ``lot`` is
the new lot's code (chosen on the phone, so later items and the crate's label can name it
before any upload), and its ``data`` is the harvest event's data as it will be hashed
(``product``, ``farm``, ``quantity``, ``unit``, and any further members). Items are stored in
request order, all or none; an error names the item (``events[2].data.farm``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from backend.config import Settings
from backend.errors import InvalidInput, SenTraceError
from backend.i18n.messages import message
from backend.models import Event, EventType, Organisation
from backend.services.ledger import events
from backend.services.ledger.event_data import HARVEST_FACTS
from backend.services.ledger.events import EventInput
from backend.services.ledger.lots import create_harvest_lot

#: Where a field of :func:`create_harvest_lot` sits in a harvest item.
_HARVEST_FIELDS = {
    "product": "data.product",
    "farm": "data.farm",
    "quantity": "data.quantity",
    "unit": "data.unit",
    "code": "lot",
    "harvested_at": "occurred_at",
}


def add_batch(
    session: Session,
    *,
    org: Organisation,
    items: Sequence[EventInput],
    settings: Settings,
    field: str = "events",
) -> list[Event]:
    """Every item stored in request order (harvests create their lots); the caller commits.

    Consecutive observations are stored together by :func:`events.add_lot_events` (each lot
    locked once); a harvest ends such a run, so an observation after it finds its new lot.
    """
    if not 1 <= len(items) <= events.MAX_BATCH_EVENTS:
        raise InvalidInput(
            message("ledger.events.batch_size", most=events.MAX_BATCH_EVENTS), field=field
        )
    stored: list[Event] = []
    run: list[tuple[int, EventInput]] = []

    def store_run() -> None:
        if run:
            stored.extend(
                events.add_lot_events(
                    session,
                    org=org,
                    items=[item for _, item in run],
                    settings=settings,
                    field=field,
                    indexes=[index for index, _ in run],
                )
            )
            run.clear()

    for index, item in enumerate(items):
        if item.event_type != EventType.HARVEST.value:
            run.append((index, item))
            continue
        store_run()
        stored.append(
            _harvest(session, org=org, item=item, path=f"{field}[{index}]", settings=settings)
        )
    store_run()
    return stored


def _harvest(
    session: Session, *, org: Organisation, item: EventInput, path: str, settings: Settings
) -> Event:
    """The harvest item's lot created with its harvest event (errors named from ``path``)."""
    facts = {key: item.data.get(key) for key in HARVEST_FACTS}
    for key, value in facts.items():
        if value is None:
            raise InvalidInput(message("validation.required"), field=f"{path}.data.{key}")
    extra = {key: value for key, value in item.data.items() if key not in HARVEST_FACTS}
    try:
        _, event = create_harvest_lot(
            session,
            org=org,
            product_code=facts["product"],
            farm_code=facts["farm"],
            quantity=facts["quantity"],
            unit=facts["unit"],
            harvested_at=item.occurred_at,
            code=item.lot_code,
            location=item.location,
            data=extra,
            settings=settings,
            private_fields=item.private_fields,
        )
    except SenTraceError as exc:
        where = _HARVEST_FIELDS.get(exc.field or "", exc.field)
        exc.field = f"{path}.{where}" if where else path
        raise
    return event
