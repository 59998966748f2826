"""What a custodian does to a lot: record an observation, hand it on, split it.

Each action is a GET (the form) and a POST (the write through the same service the REST API
uses). A POST that fails validation answers 422 with the form again, filled in as submitted.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlmodel import Session, col, select

from backend.i18n import Translator
from backend.models import Lot, Organisation
from backend.services.ledger.custody import transfer_lot
from backend.services.ledger.events import add_lot_event
from backend.services.ledger.queries import remaining_quantity
from backend.services.ledger.split_merge import split_lot
from backend.timeutil import utcnow
from backend.web.operator.context import HOLDER_ROLES, FormPage, Operator, redirect
from backend.web.operator.deps import (
    EventFormDep,
    HeldLotDep,
    OperatorDep,
    SessionDep,
    SettingsDep,
    SubmissionDep,
    TranslatorDep,
)
from backend.web.operator.event_forms import EventForm, read_event_data
from backend.web.operator.forms import FieldReader, FormState, datetime_local_value
from backend.web.operator.routing import OperatorRoute

router = APIRouter(prefix="/app/lots", tags=["operator"], route_class=OperatorRoute)

SPLIT_ROWS = 6
#: Service field names → form field names, for errors the services report.
EVENT_FIELDS = {"occurred_at": "occurred_at", "data": "_form"}
TRANSFER_FIELDS = {"to": "to", "note": "note", "occurred_at": "occurred_at"}


def _happening_now() -> FormState:
    """A fresh form for something done to the lot, its time filled in as now."""
    return FormState(values={"occurred_at": datetime_local_value(utcnow())})


def _back_to_lot(lot: Lot, ok: str) -> Response:
    return redirect(f"/app/lots/{lot.code}", ok=ok)


# --- observations -----------------------------------------------------------------------------


def _event_page(request: Request, lot: Lot, spec: EventForm, t: Translator) -> FormPage:
    choices = {
        item.name: [(option, t(f"app.choice.{item.name}.{option}")) for option in item.options]
        for item in spec.fields
        if item.options
    }
    return FormPage(
        request,
        "app/event_form.html",
        lambda: {"lot": lot, "spec": spec, "kind": spec.event_type.value, "choices": choices},
    )


@router.get("/{code}/record/{kind}", include_in_schema=False)
def event_form(request: Request, spec: EventFormDep, lot: HeldLotDep, t: TranslatorDep) -> Response:
    return _event_page(request, lot, spec, t).show(_happening_now())


@router.post("/{code}/record/{kind}", include_in_schema=False)
async def record_event(
    request: Request,
    spec: EventFormDep,
    lot: HeldLotDep,
    operator: OperatorDep,
    session: SessionDep,
    settings: SettingsDep,
    posted: SubmissionDep,
) -> Response:
    occurred_at = posted.fields.past_moment("occurred_at")
    data = read_event_data(spec, posted.fields)
    return posted.settle(
        lambda: add_lot_event(
            session,
            lot_code=lot.code,
            org=operator.org,
            event_type=spec.event_type.value,
            occurred_at=occurred_at,
            location=None,
            data=data,
            settings=settings,
        ),
        then=lambda _: _back_to_lot(lot, f"recorded_{spec.event_type.value}"),
        again=_event_page(request, lot, spec, posted.fields.t),
        field_map={**EVENT_FIELDS, **{f"data.{item.name}": item.name for item in spec.fields}},
    )


# --- transfer ---------------------------------------------------------------------------------


def _receivers(session: Session, operator: Operator) -> list[Organisation]:
    query = (
        select(Organisation)
        .where(col(Organisation.role).in_([role.value for role in HOLDER_ROLES]))
        .where(col(Organisation.id) != operator.org_id)
        .order_by(col(Organisation.role), col(Organisation.name))
    )
    return list(session.exec(query))


def _transfer_page(
    request: Request, session: Session, operator: Operator, lot: Lot, t: Translator
) -> FormPage:
    def receivers() -> list[tuple[str, str]]:
        return [
            (org.slug, f"{org.name} — {t('app.roles.' + org.role)}")
            for org in _receivers(session, operator)
        ]

    return FormPage(request, "app/transfer.html", lambda: {"lot": lot, "receivers": receivers()})


@router.get("/{code}/transfer", include_in_schema=False)
def transfer_form(
    request: Request, lot: HeldLotDep, operator: OperatorDep, session: SessionDep, t: TranslatorDep
) -> Response:
    return _transfer_page(request, session, operator, lot, t).show(_happening_now())


@router.post("/{code}/transfer", include_in_schema=False)
async def transfer(
    request: Request,
    lot: HeldLotDep,
    operator: OperatorDep,
    session: SessionDep,
    settings: SettingsDep,
    posted: SubmissionDep,
) -> Response:
    fields = posted.fields
    receiver = fields.text("to", max_length=64)
    occurred_at = fields.past_moment("occurred_at")
    note = fields.text("note", required=False, max_length=1000)
    return posted.settle(
        lambda: transfer_lot(
            session,
            lot_code=lot.code,
            org=operator.org,
            to_slug=receiver or "",
            occurred_at=occurred_at,
            note=note,
            settings=settings,
        ),
        then=lambda _: _back_to_lot(lot, "transferred"),
        again=_transfer_page(request, session, operator, lot, fields.t),
        field_map=TRANSFER_FIELDS,
    )


# --- split ------------------------------------------------------------------------------------


def _split_page(request: Request, session: Session, lot: Lot) -> FormPage:
    return FormPage(
        request,
        "app/split.html",
        lambda: {
            "lot": lot,
            "remaining": remaining_quantity(session, lot),
            "rows": range(SPLIT_ROWS),
        },
    )


@router.get("/{code}/split", include_in_schema=False)
def split_form(request: Request, lot: HeldLotDep, session: SessionDep) -> Response:
    return _split_page(request, session, lot).show(FormState())


def _read_children(fields: FieldReader) -> tuple[list[dict[str, str]], list[int]]:
    """The filled-in rows as the split service wants them, and which form row each came from."""
    children: list[dict[str, str]] = []
    rows: list[int] = []
    for row in range(SPLIT_ROWS):
        code_field, quantity_field = f"child_code_{row}", f"child_quantity_{row}"
        if not fields.state.value(code_field) and not fields.state.value(quantity_field):
            continue
        quantity = fields.decimal(quantity_field)
        code = fields.text(code_field, required=False, max_length=20)
        if quantity is not None:
            children.append({"quantity": quantity, **({"code": code} if code else {})})
            rows.append(row)
    if not children and fields.state.ok:
        fields.state.fail("child_quantity_0", fields.t("app.split.need_one"))
    return children, rows


def _split_field_map(rows: list[int]) -> dict[str, str]:
    mapping = {"children": "_form", "occurred_at": "_form"}
    for index, row in enumerate(rows):
        mapping[f"children[{index}].code"] = f"child_code_{row}"
        mapping[f"children[{index}].quantity"] = f"child_quantity_{row}"
        mapping[f"children[{index}]"] = f"child_quantity_{row}"
    return mapping


@router.post("/{code}/split", include_in_schema=False)
async def split(
    request: Request,
    lot: HeldLotDep,
    operator: OperatorDep,
    session: SessionDep,
    settings: SettingsDep,
    posted: SubmissionDep,
) -> Response:
    children, rows = _read_children(posted.fields)
    return posted.settle(
        lambda: split_lot(
            session, lot_code=lot.code, org=operator.org, children=children, settings=settings
        ),
        then=lambda _: _back_to_lot(lot, "split"),
        again=_split_page(request, session, lot),
        field_map=_split_field_map(rows),
    )
