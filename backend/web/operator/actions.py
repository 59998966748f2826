"""What a custodian does to a lot: record an observation, hand it on, split it.

Each action is a GET (the form) and a POST (the write through the same service the REST API
uses). A POST that fails validation answers 422 with the form again, filled in as submitted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlmodel import Session, col, select

from backend.deps import SessionDep, SettingsDep
from backend.errors import NotFound, PermissionDenied, SenTraceError
from backend.i18n import translator
from backend.models import Lot, Organisation, OrgRole
from backend.services.accounts import permissions
from backend.services.ledger.custody import transfer_lot
from backend.services.ledger.events import add_lot_event
from backend.services.ledger.queries import remaining_quantity
from backend.services.ledger.split_merge import split_lot
from backend.services.transactions import commit
from backend.timeutil import utcnow
from backend.web.operator.access import viewable_lot
from backend.web.operator.context import HOLDER_ROLES, Operator, OperatorDep, page, redirect
from backend.web.operator.event_forms import EVENT_FORMS, EventForm, read_event_data
from backend.web.operator.forms import (
    FieldReader,
    FormState,
    apply_service_error,
    datetime_local_value,
    read_form,
    shows_on_form,
)
from backend.web.operator.routing import OperatorRoute

router = APIRouter(prefix="/app/lots", tags=["operator"], route_class=OperatorRoute)

SPLIT_ROWS = 6
#: Service field names → form field names, for errors the services report.
EVENT_FIELDS = {"occurred_at": "occurred_at", "data": "_form"}


def held_lot(session: Session, operator: Operator, code: str) -> Lot:
    """The lot, if the operator's organisation holds it now (else 403/404)."""
    lot = viewable_lot(session, org=operator.org, code=code)
    if operator.role not in HOLDER_ROLES:
        raise PermissionDenied(permissions.WRONG_ROLE)
    permissions.require_custodian(operator.org, lot)
    return lot


def _run_write(
    request: Request,
    session: Session,
    form: FormState,
    write: Callable[[], object],
    *,
    field_map: dict[str, str],
    again: Callable[[FormState], Response],
) -> Response | None:
    """Run a service write and commit; on a form-worthy error, the form again (else raise)."""
    try:
        write()
        commit(session)
    except SenTraceError as exc:
        session.rollback()
        if not shows_on_form(exc):
            raise
        apply_service_error(form, exc, lang=request.state.lang, field_map=field_map)
        return again(form)
    return None


def _when(fields: FieldReader) -> Any:
    moment = fields.moment("occurred_at")
    if moment is not None and moment > utcnow():
        fields.state.fail("occurred_at", fields.t("app.errors.future"))
    return moment


# --- observations -----------------------------------------------------------------------------


def _event_spec(kind: str, operator: Operator) -> EventForm:
    spec = EVENT_FORMS.get(kind)
    if spec is None:
        raise NotFound("Không có biểu mẫu này / no such form")
    if kind == "input_application" and operator.role is not OrgRole.COOPERATIVE:
        raise PermissionDenied(permissions.WRONG_ROLE)
    return spec


def _event_page(
    request: Request, lot: Lot, spec: EventForm, form: FormState, status: int = 200
) -> Response:
    t = translator(request.state.lang)
    choices = {
        item.name: [(option, t(f"app.choice.{item.name}.{option}")) for option in item.options]
        for item in spec.fields
        if item.options
    }
    return page(
        request,
        "app/event_form.html",
        status_code=status,
        lot=lot,
        spec=spec,
        kind=spec.event_type.value,
        choices=choices,
        form=form,
    )


@router.get("/{code}/record/{kind}", include_in_schema=False)
def event_form(
    request: Request, code: str, kind: str, operator: OperatorDep, session: SessionDep
) -> Response:
    spec = _event_spec(kind, operator)
    lot = held_lot(session, operator, code)
    form = FormState(values={"occurred_at": datetime_local_value(utcnow())})
    return _event_page(request, lot, spec, form)


@router.post("/{code}/record/{kind}", include_in_schema=False)
async def record_event(
    request: Request,
    code: str,
    kind: str,
    operator: OperatorDep,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    spec = _event_spec(kind, operator)
    lot = held_lot(session, operator, code)
    form = await read_form(request)
    fields = FieldReader(form, translator(request.state.lang))
    occurred_at = _when(fields)
    data = read_event_data(spec, fields)
    if not form.ok:
        return _event_page(request, lot, spec, form, status=422)
    field_map = {**EVENT_FIELDS, **{f"data.{item.name}": item.name for item in spec.fields}}
    failed = _run_write(
        request,
        session,
        form,
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
        field_map=field_map,
        again=lambda state: _event_page(request, lot, spec, state, status=422),
    )
    return failed or redirect(f"/app/lots/{lot.code}", ok=f"recorded_{spec.event_type.value}")


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
    request: Request,
    session: Session,
    operator: Operator,
    lot: Lot,
    form: FormState,
    status: int = 200,
) -> Response:
    t = translator(request.state.lang)
    receivers = [
        (org.slug, f"{org.name} — {t('app.roles.' + org.role)}")
        for org in _receivers(session, operator)
    ]
    return page(
        request,
        "app/transfer.html",
        status_code=status,
        lot=lot,
        receivers=receivers,
        form=form,
    )


@router.get("/{code}/transfer", include_in_schema=False)
def transfer_form(
    request: Request, code: str, operator: OperatorDep, session: SessionDep
) -> Response:
    lot = held_lot(session, operator, code)
    form = FormState(values={"occurred_at": datetime_local_value(utcnow())})
    return _transfer_page(request, session, operator, lot, form)


@router.post("/{code}/transfer", include_in_schema=False)
async def transfer(
    request: Request, code: str, operator: OperatorDep, session: SessionDep, settings: SettingsDep
) -> Response:
    lot = held_lot(session, operator, code)
    form = await read_form(request)
    fields = FieldReader(form, translator(request.state.lang))
    receiver = fields.text("to", max_length=64)
    occurred_at = _when(fields)
    note = fields.text("note", required=False, max_length=1000)
    if not form.ok:
        return _transfer_page(request, session, operator, lot, form, status=422)
    failed = _run_write(
        request,
        session,
        form,
        lambda: transfer_lot(
            session,
            lot_code=lot.code,
            org=operator.org,
            to_slug=receiver or "",
            occurred_at=occurred_at,
            note=note,
            settings=settings,
        ),
        field_map={"to": "to", "note": "note", "occurred_at": "occurred_at"},
        again=lambda state: _transfer_page(request, session, operator, lot, state, status=422),
    )
    return failed or redirect(f"/app/lots/{lot.code}", ok="transferred")


# --- split ------------------------------------------------------------------------------------


def _split_page(
    request: Request, session: Session, lot: Lot, form: FormState, status: int = 200
) -> Response:
    return page(
        request,
        "app/split.html",
        status_code=status,
        lot=lot,
        remaining=remaining_quantity(session, lot),
        rows=range(SPLIT_ROWS),
        form=form,
    )


@router.get("/{code}/split", include_in_schema=False)
def split_form(request: Request, code: str, operator: OperatorDep, session: SessionDep) -> Response:
    lot = held_lot(session, operator, code)
    return _split_page(request, session, lot, FormState())


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
    request: Request, code: str, operator: OperatorDep, session: SessionDep, settings: SettingsDep
) -> Response:
    lot = held_lot(session, operator, code)
    form = await read_form(request)
    fields = FieldReader(form, translator(request.state.lang))
    children, rows = _read_children(fields)
    if not form.ok:
        return _split_page(request, session, lot, form, status=422)
    failed = _run_write(
        request,
        session,
        form,
        lambda: split_lot(
            session, lot_code=lot.code, org=operator.org, children=children, settings=settings
        ),
        field_map=_split_field_map(rows),
        again=lambda state: _split_page(request, session, lot, state, status=422),
    )
    return failed or redirect(f"/app/lots/{lot.code}", ok="split")
