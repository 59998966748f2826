"""Event batches: a field worker's offline log uploaded in one request, stored all or none.

Each item is what ``POST /lots/{code}/events`` takes plus the ``lot`` it is about; the rules,
the custodian check and the hashing are those of the single endpoint (see
``services.events.add_lot_events``). A ``harvest`` item creates its lot (code ``lot``, the
harvest facts in ``data``) as ``POST /lots`` does (``services.ledger.batch_items``). An error
names the item, e.g. ``events[3].data.brix``. The field app (/app/field) sends its offline
queue here, one entry per request with the entry's id as ``Idempotency-Key``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlmodel import Session

from backend.api import presenters
from backend.api.deps import RuntimeDep
from backend.api.writes import body_schema, parse_body, run_write_in_one_hop
from backend.models import Organisation
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
    openapi_extra={**body_schema(EventBatchCreate), "x-max-body-bytes": MAX_BODY_BYTES},
)
async def add_events(request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Record 1–500 events on lots the caller holds (harvests create theirs), in one
    transaction, in request order.

    Runs in one thread hop, in the writer lane on SQLite (:func:`run_write_in_one_hop`), as
    single events do; the body is the :class:`EventBatchCreate` documented here.
    """

    def action(session: Session, org: Organisation, raw: bytes) -> BatchAccepted:
        body = parse_body(EventBatchCreate, raw)
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
            settings=runtime.settings,
        )
        return BatchAccepted(
            accepted=len(stored), events=[presenters.event_accepted(e) for e in stored]
        )

    return await run_write_in_one_hop(request, runtime, action)
