"""Events: the lot's custodian records what happened to it."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from backend.api import presenters
from backend.api.auth import CurrentOrg
from backend.api.writes import WriteDep
from backend.deps import SessionDep, SettingsDep
from backend.schemas import EventAccepted, EventCreate
from backend.services import events

router = APIRouter(prefix="/api/v1/lots", tags=["events"])


@router.post("/{code}/events", status_code=201, response_model=EventAccepted)
def add_event(
    code: str,
    body: EventCreate,
    org: CurrentOrg,
    session: SessionDep,
    settings: SettingsDep,
    write: WriteDep,
) -> JSONResponse:
    """Record an event on a lot the caller holds; it is hashed now and anchored later."""

    def action() -> EventAccepted:
        event = events.add_lot_event(
            session,
            lot_code=code,
            org=org,
            event_type=body.type,
            occurred_at=body.occurred_at,
            location=body.location,
            data=body.data,
            settings=settings,
        )
        return presenters.event_accepted(event)

    return write.run(action)
