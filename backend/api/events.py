"""Events: the lot's custodian records what happened to it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlmodel import Session

from backend.api import presenters
from backend.api.deps import RuntimeDep
from backend.api.writes import body_schema, parse_body, run_write_in_one_hop
from backend.models import Organisation
from backend.schemas import EventAccepted, EventCreate
from backend.services.ledger import events

router = APIRouter(prefix="/api/v1/lots", tags=["events"])


@router.post(
    "/{code}/events",
    status_code=201,
    response_model=EventAccepted,
    openapi_extra=body_schema(EventCreate),
)
async def add_event(code: str, request: Request, runtime: RuntimeDep) -> JSONResponse:
    """Record an event on a lot the caller holds; it is hashed now and anchored later.

    The busiest write of the platform, so it runs in one thread hop (see
    :func:`run_write_in_one_hop`); the body is the :class:`EventCreate` documented here.
    """

    def action(session: Session, org: Organisation, raw: bytes) -> EventAccepted:
        body = parse_body(EventCreate, raw)
        event = events.add_lot_event(
            session,
            lot_code=code,
            org=org,
            event_type=body.type,
            occurred_at=body.occurred_at,
            location=body.location,
            data=body.data,
            settings=runtime.settings,
            private_fields=body.private,
        )
        return presenters.event_accepted(event)

    return await run_write_in_one_hop(request, runtime, action)
