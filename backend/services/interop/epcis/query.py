"""The EPCIS 2.0 query interface's subset: events by step, time, object, class and place.

Reads the index (``index``), caught up first, limited to the lots the caller may read
(``services.ledger.visibility``), ordered by event time then index id, one page at a time.
``nextPageToken`` is the last (time, id) of a page, opaque to the client.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import Session, col, select

from backend.errors import InvalidInput
from backend.i18n.messages import message
from backend.json_depth import loads_bounded
from backend.models import Lot, Organisation
from backend.models_epcis import EpcisEvent, EpcisIdentifier
from backend.services.interop.epcis.identifiers import DL_DOMAIN, canonical_identifier
from backend.services.interop.epcis.index import catch_up, parse_time
from backend.services.interop.epcis.validation import is_date_time
from backend.services.interop.epcis.vocabulary import Vocabulary, cbv_uri
from backend.services.ledger.visibility import visible_lots

MAX_PER_PAGE = 1000
DEFAULT_PER_PAGE = 30


@dataclass
class EventQuery:
    """The standard parameters this interface answers (empty lists: no condition)."""

    biz_steps: list[str] = field(default_factory=list)
    ge_time: datetime | None = None
    lt_time: datetime | None = None
    any_epc: list[str] = field(default_factory=list)
    epc_class: list[str] = field(default_factory=list)
    biz_location: list[str] = field(default_factory=list)
    per_page: int = DEFAULT_PER_PAGE
    after: tuple[datetime, int] | None = None


def values(raw: str | None) -> list[str]:
    """A parameter's values: EPCIS separates several with ``|`` (a comma is accepted too)."""
    if not raw:
        return []
    return [v.strip() for v in raw.replace(",", "|").split("|") if v.strip()]


def query_time(raw: str | None, *, field: str) -> datetime | None:
    """A query's time bound (RFC 3339 with an offset), or None when not given."""
    if raw is None:
        return None
    try:
        if not is_date_time(raw):
            raise ValueError(raw)
        return parse_time(raw)
    except ValueError:
        raise InvalidInput(message("epcis.bad_query_time"), field=field) from None


def encode_token(moment: datetime, row_id: int) -> str:
    raw = json.dumps([moment.isoformat(), row_id]).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_token(token: str) -> tuple[datetime, int]:
    try:
        padded = token + "=" * (-len(token) % 4)
        moment, row_id = loads_bounded(base64.urlsafe_b64decode(padded.encode("ascii")))
        return datetime.fromisoformat(moment), int(row_id)
    except (ValueError, TypeError, binascii.Error, UnicodeError):
        raise InvalidInput(message("epcis.bad_token"), field="nextPageToken") from None


def find_events(
    session: Session, *, org: Organisation, query: EventQuery, vocabulary: Vocabulary
) -> tuple[list[EpcisEvent], str | None]:
    """One page of matching events and the token of the next page (None: last page)."""
    catch_up(session, vocabulary)
    statement = (
        select(EpcisEvent)
        .join(Lot, col(Lot.id) == col(EpcisEvent.lot_id))
        .where(visible_lots(org), *_conditions(query))
        .order_by(col(EpcisEvent.event_time), col(EpcisEvent.id))
        .limit(query.per_page + 1)
    )
    rows = list(session.exec(statement).all())
    if len(rows) <= query.per_page:
        return rows, None
    last = rows[query.per_page - 1]
    assert last.id is not None
    return rows[: query.per_page], encode_token(last.event_time, last.id)


def find_event(
    session: Session, *, org: Organisation, identity: str, vocabulary: Vocabulary
) -> EpcisEvent | None:
    """The event with eventID ``identity`` on a lot the caller may read, or None."""
    catch_up(session, vocabulary)
    statement = (
        select(EpcisEvent)
        .join(Lot, col(Lot.id) == col(EpcisEvent.lot_id))
        .where(EpcisEvent.event_id == identity, visible_lots(org))
    )
    return session.exec(statement).first()


def _conditions(query: EventQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if query.biz_steps:
        steps = [cbv_uri("BizStep", s) for s in query.biz_steps]
        conditions.append(col(EpcisEvent.biz_step).in_(steps))
    if query.ge_time is not None:
        conditions.append(col(EpcisEvent.event_time) >= query.ge_time)
    if query.lt_time is not None:
        conditions.append(col(EpcisEvent.event_time) < query.lt_time)
    if query.biz_location:
        places = [canonical_identifier(p) for p in query.biz_location]
        conditions.append(col(EpcisEvent.biz_location).in_(places))
    for kind, wanted in (("epc", query.any_epc), ("class", query.epc_class)):
        if wanted:
            conditions.append(col(EpcisEvent.id).in_(_naming(kind, wanted)))
    if query.after is not None:
        moment, row_id = query.after
        conditions.append(
            or_(
                col(EpcisEvent.event_time) > moment,
                and_(col(EpcisEvent.event_time) == moment, col(EpcisEvent.id) > row_id),
            )
        )
    return conditions


def _naming(kind: str, wanted: list[str]) -> Any:
    """Ids of events naming one of ``wanted``: exactly, or under a pattern (a trailing ``*``,
    an EPC pattern URI, or a GTIN-only Digital Link, which covers that GTIN's lots and items)."""
    matches: list[ColumnElement[bool]] = []
    for value in wanted:
        canonical = canonical_identifier(value)
        if value.endswith("*") and canonical == value:
            matches.append(col(EpcisIdentifier.uri).startswith(value[:-1], autoescape=True))
            continue
        matches.append(col(EpcisIdentifier.uri) == canonical)
        segments = canonical.removeprefix(f"{DL_DOMAIN}/").split("/")
        if canonical.startswith(f"{DL_DOMAIN}/01/") and len(segments) == 2:
            matches.append(col(EpcisIdentifier.uri).startswith(canonical + "/", autoescape=True))
    return select(EpcisIdentifier.epcis_event_id).where(EpcisIdentifier.kind == kind, or_(*matches))


def query_document(rows: list[EpcisEvent], vocabulary: Vocabulary, created: str) -> dict[str, Any]:
    """An EPCISQueryDocument holding ``rows`` (each event as indexed, its eventID first)."""
    prefixes: dict[str, str] = {}
    events = []
    for row in rows:
        body = dict(row.body or {})
        context = body.pop("@context", None)
        if isinstance(context, dict):
            prefixes.update({k: v for k, v in context.items() if isinstance(v, str)})
        events.append(body)
    return {
        "@context": vocabulary.context(prefixes),
        "type": "EPCISQueryDocument",
        "schemaVersion": "2.0",
        "creationDate": created,
        "epcisBody": {
            "queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList": events}}
        },
    }
