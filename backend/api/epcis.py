"""EPCIS 2.0 REST subset on the standard paths: capture, capture jobs, event queries.

- ``POST /epcis/capture``: an EPCIS document (``application/ld+json`` or JSON) imported whole
  or refused whole (400 with the JSON path of every error); 202 with ``Location`` naming the
  capture job. Needs the API key of an organisation that holds lots, and runs under the signing
  protocol like every write: a custodial organisation's events are signed by the server, a
  client- or browser-held one's answer 428 with the draft to sign first (docs/epcis.md).
  The job is finished when the answer comes (capture is synchronous, so nothing is ever left
  half imported); ``Idempotency-Key`` and eventIDs make resending safe.
- ``GET /epcis/capture/{id}``: the job, for the organisation that captured it and those who
  read everything (the admin, regulators).
- ``GET /epcis/events``: ``EQ_bizStep``, ``GE_eventTime``, ``LT_eventTime``, ``MATCH_anyEPC``,
  ``MATCH_epcClass``, ``EQ_bizLocation``, ``perPage``, ``nextPageToken`` (the next page is
  also named by a ``Link: <…>; rel="next"`` header), over the lots the caller may read.
- ``GET /epcis/events/{eventID}`` (the eventID percent-encoded).

Every answer carries ``GS1-EPCIS-Version`` and ``GS1-CBV-Version``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from backend.api.deps import CurrentOrg, SessionDep, SettingsDep, WriteDep, require_roles
from backend.errors import DocumentRefused, NotFound
from backend.http.responses import json_bytes
from backend.i18n.messages import message
from backend.json_depth import loads_bounded
from backend.models import Organisation, OrgRole
from backend.models_epcis import EpcisCaptureJob
from backend.services.accounts import permissions
from backend.services.interop.epcis import query as events_query
from backend.services.interop.epcis.capture import MAX_CAPTURE_EVENTS, capture
from backend.services.interop.epcis.http_headers import JSON_LD, VERSION_HEADERS
from backend.services.interop.epcis.vocabulary import Vocabulary
from backend.timeutil import rfc3339_z, utcnow

router = APIRouter(prefix="/epcis", tags=["epcis"])

CAPTURE_PATH = "/epcis/capture"
#: A full capture (2,000 events of up to 4 KiB each) fits.
MAX_CAPTURE_BYTES = MAX_CAPTURE_EVENTS * 4 * 1024
BODY_LIMITS: dict[str, int] = {CAPTURE_PATH: MAX_CAPTURE_BYTES}
Capturer = Annotated[
    Organisation,
    Depends(
        require_roles(OrgRole.COOPERATIVE, OrgRole.PACKER, OrgRole.DISTRIBUTOR, OrgRole.RETAILER)
    ),
]


class CaptureJob(BaseModel):
    """A capture job as EPCIS 2.0 states one (plus SenTrace's counts)."""

    model_config = ConfigDict(populate_by_name=True)

    capture_id: str = Field(alias="captureID")
    created_at: str = Field(alias="createdAt")
    finished_at: str | None = Field(alias="finishedAt")
    running: bool
    success: bool
    capture_error_behaviour: str = Field("rollback", alias="captureErrorBehaviour")
    errors: list[dict[str, Any]]
    event_count: int = Field(alias="eventCount")
    imported: int
    duplicates: int


def job_body(job: EpcisCaptureJob) -> CaptureJob:
    return CaptureJob(
        captureID=job.id,
        createdAt=rfc3339_z(job.created_at),
        finishedAt=rfc3339_z(job.finished_at) if job.finished_at else None,
        running=False,
        success=job.success,
        errors=list(job.errors or []),
        eventCount=job.event_count,
        imported=job.imported,
        duplicates=job.duplicates,
    )


async def raw_body(request: Request) -> bytes:
    """The request body as sent (read once; the write's fingerprint reads the same bytes).

    Only a JSON media type (``application/ld+json``, ``application/json``) or none is taken:
    those are the bodies the middleware checks for nesting depth before anything parses them.
    """
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media and not (media.endswith("/json") or media.endswith("+json")):
        errors = [{"path": "$", "message": message("epcis.not_json_media")}]
        raise DocumentRefused(message("epcis.refused"), errors=errors)
    return await request.body()


@router.post(
    "/capture",
    status_code=202,
    response_model=CaptureJob,
    openapi_extra={"x-max-body-bytes": MAX_CAPTURE_BYTES},
)
def capture_document(
    org: Capturer,
    session: SessionDep,
    settings: SettingsDep,
    raw: Annotated[bytes, Depends(raw_body)],  # before the write: its media type is checked
    write: WriteDep,
) -> JSONResponse:
    """Import an EPCIS 2.0 document (ObjectEvent, AggregationEvent, TransformationEvent)."""
    try:
        document = loads_bounded(raw)
    except (UnicodeDecodeError, ValueError):
        errors = [{"path": "$", "message": message("epcis.not_json")}]
        raise DocumentRefused(message("epcis.refused"), errors=errors) from None
    vocabulary = Vocabulary(settings.public_base_url)

    def action() -> CaptureJob:
        job = capture(
            session, org=org, document=document, raw=raw, settings=settings, vocabulary=vocabulary
        )
        return job_body(job)

    answer = write.run(action, status_code=202)
    job_id = json.loads(answer.body)["captureID"]
    answer.headers["Location"] = f"{CAPTURE_PATH}/{job_id}"
    answer.headers.update(VERSION_HEADERS)
    return answer


@router.get("/capture/{capture_id}", response_model=CaptureJob)
def capture_job(capture_id: str, org: CurrentOrg, session: SessionDep) -> JSONResponse:
    """A capture job: the capturing organisation's to read, and the admin's and regulators'."""
    job = session.get(EpcisCaptureJob, capture_id[:36])
    if job is None or (job.org_id != org.id and not permissions.reads_everything(org)):
        raise NotFound(message("epcis.no_job"))
    body = job_body(job).model_dump(mode="json", by_alias=True)
    return JSONResponse(body, headers=VERSION_HEADERS)


@router.get("/events", response_class=Response)
def events(
    request: Request,
    org: CurrentOrg,
    session: SessionDep,
    settings: SettingsDep,
    eq_biz_step: Annotated[str | None, Query(alias="EQ_bizStep", max_length=2000)] = None,
    ge_event_time: Annotated[str | None, Query(alias="GE_eventTime", max_length=64)] = None,
    lt_event_time: Annotated[str | None, Query(alias="LT_eventTime", max_length=64)] = None,
    match_any_epc: Annotated[str | None, Query(alias="MATCH_anyEPC", max_length=4000)] = None,
    match_epc_class: Annotated[str | None, Query(alias="MATCH_epcClass", max_length=4000)] = None,
    eq_biz_location: Annotated[str | None, Query(alias="EQ_bizLocation", max_length=2000)] = None,
    per_page: Annotated[
        int, Query(alias="perPage", ge=1, le=events_query.MAX_PER_PAGE)
    ] = events_query.DEFAULT_PER_PAGE,
    next_page_token: Annotated[str | None, Query(alias="nextPageToken", max_length=200)] = None,
) -> Response:
    """Events on lots the caller may read, oldest first, as an EPCISQueryDocument."""
    query = events_query.EventQuery(
        biz_steps=events_query.values(eq_biz_step),
        ge_time=events_query.query_time(ge_event_time, field="GE_eventTime"),
        lt_time=events_query.query_time(lt_event_time, field="LT_eventTime"),
        any_epc=events_query.values(match_any_epc),
        epc_class=events_query.values(match_epc_class),
        biz_location=events_query.values(eq_biz_location),
        per_page=per_page,
        after=events_query.decode_token(next_page_token) if next_page_token else None,
    )
    vocabulary = Vocabulary(settings.public_base_url)
    rows, token = events_query.find_events(session, org=org, query=query, vocabulary=vocabulary)
    document = events_query.query_document(rows, vocabulary, rfc3339_z(utcnow()))
    headers = dict(VERSION_HEADERS)
    if token is not None:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "nextPageToken"]
        link = f"{request.url.path}?{urlencode([*params, ('nextPageToken', token)])}"
        headers["Link"] = f'<{link}>; rel="next"'
    return Response(json_bytes(document), media_type=JSON_LD, headers=headers)


@router.get("/events/{event_id:path}", response_class=Response)
def event(event_id: str, org: CurrentOrg, session: SessionDep, settings: SettingsDep) -> Response:
    """One event by its eventID (percent-encoded in the path), on a lot the caller may read."""
    vocabulary = Vocabulary(settings.public_base_url)
    row = events_query.find_event(session, org=org, identity=event_id, vocabulary=vocabulary)
    if row is None:
        raise NotFound(message("epcis.no_event"), field="eventID")
    document = events_query.query_document([row], vocabulary, rfc3339_z(utcnow()))
    return Response(json_bytes(document), media_type=JSON_LD, headers=VERSION_HEADERS)
