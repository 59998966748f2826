"""EPCIS 2.0 capture: a whole document imported into lots and events, or nothing at all.

1. The document is validated against the capture schema (``validation``); any error refuses
   it whole (:class:`~backend.errors.DocumentRefused`, 400) with the JSON path of every error.
2. Each event gets its eventID (the one it carries, else its CBV 2.0 hash). An eventID already
   captured, or seen earlier in the same document, is a duplicate: counted, not recorded again,
   so sending a document twice records its events once.
3. Each new event is planned (``capture_plan``): its lots, its SenTrace type, its time. Every
   problem found (a lot held by someone else, an unknown SenTrace lot, a time out of range) is
   collected with its path; any problem refuses the document whole, as in 1.
4. Each planned event is recorded on each of its lots through ``record_event``, the one door
   every SenTrace event goes through, so it is hashed, signed (under the write's signing
   context: the server's custodial key, or the signatures a client-held organisation sent for
   the draft) and anchored like any other; then indexed with the body it arrived with.

The caller's transaction holds all of it: a failure anywhere rolls everything back.
"""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785
from sqlmodel import Session, col, select

from backend import entropy
from backend.config import Settings
from backend.errors import Conflict, DocumentRefused, InvalidInput, NotFound, PermissionDenied
from backend.i18n import translator
from backend.i18n.messages import message
from backend.models import Event, Lot, Organisation, Product
from backend.models_epcis import EpcisCaptureJob, EpcisEvent, EpcisIdentifier, EpcisSource
from backend.services import validation
from backend.services.accounts import permissions
from backend.services.interop.epcis import capture_plan as plan
from backend.services.interop.epcis.event_hash import PROOF_MEMBER, context_prefixes, event_id
from backend.services.interop.epcis.export import CAPTURED
from backend.services.interop.epcis.index import index_row
from backend.services.interop.epcis.validation import errors_of
from backend.services.interop.epcis.vocabulary import Vocabulary
from backend.services.ledger.events import MAX_BATCH_EVENTS, EventInput, add_lot_events
from backend.services.ledger.locking import lock_lot
from backend.timeutil import utcnow

#: Most events one capture may carry (docs/epcis.md, limits).
MAX_CAPTURE_EVENTS = 2000
GENERIC_PRODUCT = "epcis-object"
EVENT_LIST = "$.epcisBody.eventList"


def capture(
    session: Session,
    *,
    org: Organisation,
    document: Any,
    raw: bytes,
    settings: Settings,
    vocabulary: Vocabulary,
) -> EpcisCaptureJob:
    """Import ``document`` (parsed JSON; ``raw`` its bytes) for ``org``; the finished job."""
    try:
        problems = [e.as_json() for e in errors_of(document)]
    except RecursionError:  # nested deeper than any EPCIS document (a body sent as text)
        problems = [{"path": "$", "message": message("epcis.not_json")}]
    if problems:
        raise DocumentRefused(message("epcis.refused"), errors=problems)
    events = document["epcisBody"]["eventList"]
    if len(events) > MAX_CAPTURE_EVENTS:
        path = "$.epcisBody.eventList"
        text = message("epcis.too_many", most=MAX_CAPTURE_EVENTS)
        raise DocumentRefused(message("epcis.refused"), errors=[{"path": path, "message": text}])
    context = document["@context"]
    planned, duplicates, lots = _plan(session, org, events, context, vocabulary)
    job = EpcisCaptureJob(
        id=entropy.new_uuid(),
        org_id=org.id or 0,
        document_sha256=hashlib.sha256(raw).hexdigest(),
        event_count=len(events),
        duplicates=duplicates,
    )
    session.add(job)
    session.flush()
    prefixes = context_prefixes(context)
    recorded = _record_all(session, org, planned, lots, settings)
    rows = [_index(item, job, prefixes, recorded[item.index]) for item in planned]
    session.add_all([row for row, _ in rows])  # the index, written in two flushes
    session.flush()
    for (row, identifiers), item in zip(rows, planned, strict=True):
        assert row.id is not None
        for identifier in identifiers:
            identifier.epcis_event_id = row.id
        session.add_all(identifiers)
        sources = [
            EpcisSource(sentrace_event_id=e.id, epcis_event_id=row.id) for e in recorded[item.index]
        ]
        session.add_all(sources)
    job.imported = len(planned)
    job.success = True
    job.finished_at = utcnow()
    session.add(job)
    session.flush()
    return job


def _plan(
    session: Session,
    org: Organisation,
    events: list[dict[str, Any]],
    context: Any,
    vocabulary: Vocabulary,
) -> tuple[list[plan.PlannedEvent], int, dict[str, Lot | None]]:
    """Every new event planned (with the lots it may name, locked), or
    :class:`DocumentRefused` listing every problem."""
    seen: set[str] = set()
    fresh: list[tuple[int, str, dict[str, Any]]] = []
    for index, event in enumerate(events):
        identity = event.get("eventID") or event_id(event, context)
        if identity not in seen:
            seen.add(identity)
            fresh.append((index, identity, event))
    known = _captured(session, [identity for _, identity, _ in fresh])
    problems: list[dict[str, str]] = []
    planned: list[plan.PlannedEvent] = []
    lots = _locked_lots(session, fresh, vocabulary)
    for index, identity, event in fresh:
        if identity in known:
            continue
        path = f"$.epcisBody.eventList[{index}]"
        try:
            planned.append(_planned(session, org, index, identity, event, lots, vocabulary))
        except (InvalidInput, PermissionDenied, Conflict, NotFound) as exc:
            problems.append({"path": exc.field or path, "message": exc.message})
    if problems:
        raise DocumentRefused(message("epcis.refused"), errors=problems)
    return planned, len(events) - len(planned), lots


def _planned(
    session: Session,
    org: Organisation,
    index: int,
    identity: str,
    event: dict[str, Any],
    lots: dict[str, Lot | None],
    vocabulary: Vocabulary,
) -> plan.PlannedEvent:
    path = f"$.epcisBody.eventList[{index}]"
    try:
        occurred = validation.event_time(plan.event_time(event), field=f"{path}.eventTime")
    except ValueError:
        raise InvalidInput(message("epcis.bad_time"), field=f"{path}.eventTime") from None
    body = {k: v for k, v in event.items() if k != PROOF_MEMBER}
    body["eventID"] = identity
    try:
        rfc8785.dumps(body)
    except (rfc8785.CanonicalizationError, ValueError, TypeError):
        raise InvalidInput(message("epcis.unhashable"), field=path) from None
    refs = [_resolved(session, ref, lots) for ref in plan.lot_refs(event, vocabulary)]
    for ref in refs:
        lot = lots.get(ref.code)
        if lot is None and ref.must_exist:
            raise InvalidInput(message("epcis.unknown_lot"), field=path)
        if lot is not None:
            permissions.require_custodian(org, lot, field=path)
        elif ref.quantity is not None:  # the lot it makes holds this quantity
            validation.decimal_string(ref.quantity, field=path)
    return plan.PlannedEvent(
        index=index,
        identity=identity,
        body=body,
        occurred_at=occurred,
        sentrace_type=plan.sentrace_type(event),
        lots=refs,
    )


def _resolved(session: Session, ref: plan.LotRef, lots: dict[str, Lot | None]) -> plan.LotRef:
    """A GS1 lot identifier names the SenTrace lot of that code when its GTIN matches."""
    named = plan.gs1_lot(ref.identifier)
    if ref.must_exist or named is None:
        return ref
    lot = lots.get(named[1])
    if lot is not None:
        product = session.get(Product, lot.product_id)
        if product is not None and product.gtin == named[0]:
            return plan.LotRef(code=lot.code, identifier=ref.identifier, must_exist=True)
    return ref


def _locked_lots(
    session: Session, fresh: list[tuple[int, str, dict[str, Any]]], vocabulary: Vocabulary
) -> dict[str, Lot | None]:
    """Every lot the document may name, locked once in code order (no deadlocks between two
    captures naming the same lots in different orders); None for a code not in use."""
    codes: set[str] = set()
    for _, _, event in fresh:
        for ref in plan.lot_refs(event, vocabulary):
            codes.add(ref.code)
            named = plan.gs1_lot(ref.identifier)
            if named is not None:
                codes.add(named[1])
    found: dict[str, Lot | None] = {}
    for code in sorted(codes):
        try:
            found[code] = lock_lot(session, code)
        except NotFound:
            found[code] = None
    return found


def _captured(session: Session, identities: list[str]) -> set[str]:
    if not identities:
        return set()
    query = select(EpcisEvent.event_id).where(col(EpcisEvent.event_id).in_(identities))
    return set(session.exec(query).all())


def _record_all(
    session: Session,
    org: Organisation,
    planned: list[plan.PlannedEvent],
    lots: dict[str, Lot | None],
    settings: Settings,
) -> dict[int, list[Event]]:
    """Every planned event recorded on each of its lots, by the batch service the field app
    uploads through (one flush per 500 events, each checked and hashed as a single event),
    under the write's signing context; the SenTrace events of each, by the event's index."""
    inputs: list[EventInput] = []
    owners: list[int] = []
    for item in planned:
        data = _data(item)
        for ref in item.lots:
            lot = _lot_for(session, org, ref, lots)
            inputs.append(
                EventInput(
                    lot_code=lot.code,
                    event_type=item.sentrace_type,
                    occurred_at=item.occurred_at,
                    location=None,
                    data=data,
                )
            )
            owners.append(item.index)
    recorded: dict[int, list[Event]] = {item.index: [] for item in planned}
    for start in range(0, len(inputs), MAX_BATCH_EVENTS):
        part = slice(start, start + MAX_BATCH_EVENTS)
        try:
            stored = add_lot_events(
                session,
                org=org,
                items=inputs[part],
                settings=settings,
                field=EVENT_LIST,
                indexes=owners[part],
            )
        except (InvalidInput, PermissionDenied, Conflict, NotFound) as exc:
            error = {"path": exc.field or EVENT_LIST, "message": exc.message}
            raise DocumentRefused(message("epcis.refused"), errors=[error]) from exc
        for index, event in zip(owners[part], stored, strict=True):
            recorded[index].append(event)
    return recorded


def _data(item: plan.PlannedEvent) -> dict[str, Any]:
    """The SenTrace ``data`` of a captured event: the EPCIS event it records, by eventID,
    type, step and the SHA-256 of its RFC 8785 canonical JSON (docs/epcis.md)."""
    digest = hashlib.sha256(rfc8785.dumps(item.body)).hexdigest()
    reference = {"eventID": item.identity, "type": item.body["type"], "sha256": digest}
    if isinstance(item.body.get("bizStep"), str):
        reference["bizStep"] = item.body["bizStep"]
    data: dict[str, Any] = {CAPTURED: reference}
    if item.sentrace_type == "note":
        data["text"] = message("epcis.captured_note", kind=item.body["type"])
    return data


def _index(
    item: plan.PlannedEvent, job: EpcisCaptureJob, prefixes: dict[str, str], events: list[Event]
) -> tuple[EpcisEvent, list[EpcisIdentifier]]:
    """The index row of a captured event: its body, with the prefixes its extension members
    need (for the export's ``@context``), read through the first lot it was recorded on."""
    body = dict(item.body)
    used = {k.partition(":")[0] for k in _keys(body)}
    context = {p: iri for p, iri in prefixes.items() if p in used}
    if context:
        body["@context"] = context
    return index_row(identity=item.identity, lot_id=events[0].lot_id, body=body, capture_id=job.id)


def _keys(value: Any) -> list[str]:
    """Every member name in ``value``, nested ones included."""
    if isinstance(value, dict):
        return [k for k in value] + [n for v in value.values() for n in _keys(v)]
    if isinstance(value, list):
        return [n for v in value for n in _keys(v)]
    return []


def _lot_for(
    session: Session, org: Organisation, ref: plan.LotRef, lots: dict[str, Lot | None]
) -> Lot:
    """The lot ``ref`` names: existing (locked by the plan), or made now for the capturer
    (and remembered for the events after it)."""
    found = lots.get(ref.code)
    if found is not None:
        return found
    product = _product(session, org, ref.gtin)
    assert product.id is not None and org.id is not None
    unit = plan.UNIT_BY_UOM.get(ref.uom or "", "pcs") if ref.quantity is not None else "pcs"
    quantity = ref.quantity if ref.quantity is not None else "1"
    lot = Lot(
        code=ref.code,
        product_id=product.id,
        farm_id=None,
        quantity=validation.decimal_string(quantity, field="$.epcisBody"),
        unit=unit,
        custodian_org_id=org.id,
    )
    session.add(lot)
    session.flush()
    lots[ref.code] = lot
    return lot


def _product(session: Session, org: Organisation, gtin: str | None) -> Product:
    """The catalogue product of a captured object: the product with its GTIN if the catalogue
    has one, else a product named after the GTIN (without claiming it: the GTIN's owner may
    register it later), else the generic EPCIS object."""
    if gtin:
        found = session.exec(select(Product).where(Product.gtin == gtin)).first()
        if found is not None:
            return found
    code = f"epcis-gtin-{gtin}" if gtin else GENERIC_PRODUCT
    existing = session.exec(select(Product).where(Product.code == code)).first()
    if existing is not None:
        return existing
    key, params = ("epcis.product_gtin", {"gtin": gtin}) if gtin else ("epcis.product_object", {})
    product = Product(
        code=code,
        name_vi=translator("vi")(key, **params),
        name_en=translator("en")(key, **params),
        gtin=None,
        created_by_org_id=org.id,
    )
    session.add(product)
    session.flush()
    return product
