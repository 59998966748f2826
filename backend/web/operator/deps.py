"""The operator app's dependencies as ``Annotated`` aliases, so routers read like their signatures.

``OperatorRoute`` has already put the visitor's session (``WebSessionDep``) and language on the
request; these read them, load the signed-in operator, refuse a role that may not open a page,
look up the lot a path names, and read a posted form. The database session, settings and
runtime are the application's own (``backend.deps``), passed on from here so a router takes
everything from one place.

A page refuses in the order of its parameters: FastAPI solves dependencies in signature order,
so ``operator: CooperativeDep, lot: HeldLotDep`` checks the role before it looks for the lot.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request

from backend.deps import RuntimeDep, SessionDep, SettingsDep
from backend.errors import NotFound, PermissionDenied
from backend.i18n import Translator, translator
from backend.i18n.messages import message
from backend.models import Lot, Organisation, OrgRole, User
from backend.services.accounts import permissions
from backend.services.accounts.sessions import resume_session
from backend.web.operator.access import held_lot, viewable_lot
from backend.web.operator.context import OVERSEER_ROLES, Operator
from backend.web.operator.event_forms import EVENT_FORMS, EventForm
from backend.web.operator.forms import FieldReader, read_form
from backend.web.operator.routing import LoginRequired
from backend.web.operator.submit import Submission
from backend.web.sessions import WebSession

__all__ = [
    "AdminDep",
    "CooperativeDep",
    "EventFormDep",
    "HeldLotDep",
    "LangDep",
    "OperatorDep",
    "OverseerDep",
    "RegulatorDep",
    "RuntimeDep",
    "SessionDep",
    "SettingsDep",
    "SubmissionDep",
    "TranslatorDep",
    "ViewableLotDep",
    "WebSessionDep",
]


# Coroutines where nothing touches the database: a plain ``def`` dependency costs a thread hop.
async def web_session(request: Request) -> WebSession:
    return request.state.web_session


async def request_lang(request: Request) -> str:
    return request.state.lang


WebSessionDep = Annotated[WebSession, Depends(web_session)]
LangDep = Annotated[str, Depends(request_lang)]


async def request_translator(lang: LangDep) -> Translator:
    return translator(lang)


TranslatorDep = Annotated[Translator, Depends(request_translator)]


def current_operator(
    request: Request, session: SessionDep, settings: SettingsDep, visitor: WebSessionDep
) -> Operator:
    """The signed-in operator, or ``LoginRequired`` (the route turns it into a redirect).

    A cookie whose server-side session is gone (signed out, password changed, expired or idle
    too long) signs the visitor out.
    """
    if visitor.token is None:
        raise LoginRequired
    user_id = resume_session(session, token=visitor.token, settings=settings)
    user = session.get(User, user_id) if user_id is not None else None
    if user is None:
        visitor.sign_out()
        raise LoginRequired
    org = session.get(Organisation, user.org_id)
    if org is None:
        visitor.sign_out()
        raise LoginRequired
    operator = Operator(user=user, org=org)
    request.state.operator = operator
    return operator


OperatorDep = Annotated[Operator, Depends(current_operator)]


def operator_with_role(*roles: OrgRole) -> Callable[[Operator], Coroutine[Any, Any, Operator]]:
    """A dependency: the signed-in operator, if their organisation has one of ``roles``."""

    async def operator_in_role(operator: OperatorDep) -> Operator:
        if not operator.has_role(*roles):
            raise PermissionDenied(message("app.refused.role"))
        return operator

    return operator_in_role


CooperativeDep = Annotated[Operator, Depends(operator_with_role(OrgRole.COOPERATIVE))]
RegulatorDep = Annotated[Operator, Depends(operator_with_role(OrgRole.REGULATOR))]
OverseerDep = Annotated[Operator, Depends(operator_with_role(*OVERSEER_ROLES))]
AdminDep = Annotated[Operator, Depends(operator_with_role(OrgRole.ADMIN))]


def lot_to_view(code: str, operator: OperatorDep, session: SessionDep) -> Lot:
    """The lot named by the path, if the operator's organisation may open it."""
    return viewable_lot(session, org=operator.org, code=code)


def lot_held(code: str, operator: OperatorDep, session: SessionDep) -> Lot:
    """The lot named by the path, if the operator's organisation holds it now."""
    return held_lot(session, operator=operator, code=code)


ViewableLotDep = Annotated[Lot, Depends(lot_to_view)]
HeldLotDep = Annotated[Lot, Depends(lot_held)]


async def event_form_spec(kind: str, operator: OperatorDep) -> EventForm:
    """The observation form named by the path; only a cooperative logs inputs it applied."""
    spec = EVENT_FORMS.get(kind)
    if spec is None:
        raise NotFound(message("app.refused.no_form"))
    if kind == "input_application" and operator.role is not OrgRole.COOPERATIVE:
        raise PermissionDenied(permissions.WRONG_ROLE)
    return spec


EventFormDep = Annotated[EventForm, Depends(event_form_spec)]


async def submission(request: Request, session: SessionDep, lang: LangDep) -> Submission:
    """The posted form, read field by field with messages in the visitor's language."""
    form = await read_form(request)
    reader = FieldReader(form, translator(lang))
    return Submission(fields=reader, session=session, lang=lang, request=request)


SubmissionDep = Annotated[Submission, Depends(submission)]
