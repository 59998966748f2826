"""Event batches: a field worker's offline log uploaded in one request, stored all or none.

Each item is what ``POST /lots/{code}/events`` takes plus the ``lot`` it is about; the rules,
the custodian check and the hashing are those of the single endpoint (see
``services.events.add_lot_events``). A ``harvest`` item creates its lot (code ``lot``, the
harvest facts in ``data``) as ``POST /lots`` does (``services.ledger.batch_items``). An error
names the item, e.g. ``events[3].data.brix``. The field app (/app/field) sends its offline
queue here, one entry per request with the entry's id as ``Idempotency-Key``.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from backend.api import presenters
from backend.api.deps import CurrentOrg, SessionDep, SettingsDep, WriteDep
from backend.schemas import BatchAccepted, EventBatchCreate
from backend.services.ledger import batch_items, events
from backend.services.ledger.events import MAX_BATCH_EVENTS

router = APIRouter(prefix="/api/v1/events", tags=["events"])

PATH = "/api/v1/events/batch"
#: Room for :data:`MAX_BATCH_EVENTS` events of up to 4 KiB each (a typical one is 250–450
#: bytes); the global ``SENTRACE_MAX_BODY_BYTES`` (256 KiB) fits 500 only when they are small.
MAX_BODY_BYTES = MAX_BATCH_EVENTS * 4 * 1024
#: Larger body limits this module's routes need (read by the app factory); never lowers one.
BODY_LIMITS: dict[str, int] = {PATH: MAX_BODY_BYTES}


@router.post(
    "/batch",
    status_code=201,
    response_model=BatchAccepted,
    openapi_extra={"x-max-body-bytes": MAX_BODY_BYTES},
)
def add_events(
    body: EventBatchCreate,
    org: CurrentOrg,
    session: SessionDep,
    settings: SettingsDep,
    write: WriteDep,
) -> JSONResponse:
    """Record 1–500 events on lots the caller holds (harvests create theirs), in one
    transaction, in request order."""

    def action() -> BatchAccepted:
        stored = batch_items.add_batch(
            session,
            org=org,
            items=[
                events.EventInput(
                    lot_code=item.lot,
                    event_type=item.type,
                    occurred_at=item.occurred_at,
                    location=item.location,
                    data=item.data,
                    private_fields=item.private,
                )
                for item in body.events
            ],
            settings=settings,
        )
        return BatchAccepted(
            accepted=len(stored), events=[presenters.event_accepted(e) for e in stored]
        )

    return write.run(action)
