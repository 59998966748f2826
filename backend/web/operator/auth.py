"""Sign-in and sign-out of the operator app.

A failed sign-in still returns normally (status 200/423 with the form), so the request's
transaction commits and the failure counter that drives the lock-out is kept.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from backend.deps import SessionDep, SettingsDep
from backend.i18n import translator
from backend.services.accounts.users import AccountLocked, InvalidCredentials, authenticate
from backend.timeutil import in_vietnam
from backend.web.operator.context import page, redirect
from backend.web.operator.forms import FieldReader, FormState, read_form
from backend.web.operator.routing import OperatorRoute, safe_next
from backend.web.sessions import WebSession

router = APIRouter(prefix="/app", tags=["operator"], route_class=OperatorRoute)


def _login_page(request: Request, form: FormState, *, status_code: int = 200) -> Response:
    return page(
        request,
        "app/login.html",
        status_code=status_code,
        form=form,
        next=safe_next(form.value("next") or request.query_params.get("next")),
    )


@router.get("/login", include_in_schema=False)
def login_form(request: Request) -> Response:
    web_session: WebSession = request.state.web_session
    if web_session.user_id is not None:
        return redirect(safe_next(request.query_params.get("next")))
    return _login_page(request, FormState())


@router.post("/login", include_in_schema=False)
async def login(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    form = await read_form(request)
    t = translator(request.state.lang)
    fields = FieldReader(form, t)
    username = fields.text("username", max_length=64)
    password = form.value("password")
    if not password:
        form.fail("password", t("app.errors.required"))
    form.values.pop("password", None)  # never sent back to the browser
    if not form.ok or username is None:
        return _login_page(request, form, status_code=422)
    try:
        signed_in = authenticate(session, username=username, password=password, settings=settings)
    except AccountLocked as exc:
        until = in_vietnam(exc.locked_until).strftime("%H:%M")
        form.fail("_form", t("app.login.locked", until=until))
        return _login_page(request, form, status_code=429)
    except InvalidCredentials:
        form.fail("_form", t("app.login.invalid"))
        return _login_page(request, form, status_code=401)
    assert signed_in.user.id is not None
    request.state.web_session.sign_in(
        user_id=signed_in.user.id, password_hash=signed_in.user.password_hash
    )
    return redirect(safe_next(form.value("next")))


@router.post("/logout", include_in_schema=False)
def logout(request: Request) -> Response:
    request.state.web_session.sign_out()
    return redirect("/app/login", ok="signed_out")
