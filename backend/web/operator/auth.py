"""Sign-in and sign-out of the operator app.

A failed sign-in still returns normally (status 200/423 with the form), so the request's
transaction commits and the failure counter that drives the lock-out is kept.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from backend.services.accounts.users import AccountLocked, InvalidCredentials, authenticate
from backend.timeutil import in_vietnam
from backend.web.operator.context import page, redirect
from backend.web.operator.deps import SessionDep, SettingsDep, SubmissionDep, WebSessionDep
from backend.web.operator.forms import FormState
from backend.web.operator.routing import OperatorRoute, safe_next

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
def login_form(request: Request, visitor: WebSessionDep) -> Response:
    if visitor.user_id is not None:
        return redirect(safe_next(request.query_params.get("next")))
    return _login_page(request, FormState())


@router.post("/login", include_in_schema=False)
async def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    visitor: WebSessionDep,
    posted: SubmissionDep,
) -> Response:
    form, t = posted.form, posted.fields.t
    username = posted.fields.text("username", max_length=64)
    password = posted.fields.password()
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
    visitor.sign_in(user_id=signed_in.user.id, password_hash=signed_in.user.password_hash)
    return redirect(safe_next(form.value("next")))


@router.post("/logout", include_in_schema=False)
def logout(visitor: WebSessionDep) -> Response:
    visitor.sign_out()
    return redirect("/app/login", ok="signed_out")
