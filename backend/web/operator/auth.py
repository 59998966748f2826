"""Sign-in and sign-out of the operator app.

A failed sign-in still returns normally (status 401/429 with the form), so the request's
transaction commits and the failure counters that drive the throttle are kept. Sign-in opens
a server-side session; sign-out deletes it, so the old cookie is refused from then on.
"""

from __future__ import annotations

import math

from fastapi import APIRouter, Request, Response

from backend.http.rate_limit import client_key
from backend.services.accounts.sessions import close_session, open_session
from backend.services.accounts.users import InvalidCredentials, LoginThrottled, authenticate
from backend.timeutil import in_vietnam, utcnow
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
    if visitor.token is not None:
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
        signed_in = authenticate(
            session,
            username=username,
            password=password,
            address=client_key(request),
            settings=settings,
        )
    except LoginThrottled as exc:
        until = in_vietnam(exc.retry_at).strftime("%H:%M:%S")
        form.fail("_form", t("app.login.throttled", until=until))
        response = _login_page(request, form, status_code=429)
        wait = max(1, math.ceil((exc.retry_at - utcnow()).total_seconds()))
        response.headers["Retry-After"] = str(wait)
        return response
    except InvalidCredentials:
        form.fail("_form", t("app.login.invalid"))
        return _login_page(request, form, status_code=401)
    assert signed_in.user.id is not None
    if visitor.token is not None:  # signing in again ends the session this cookie had
        close_session(session, token=visitor.token)
    token = open_session(session, user_id=signed_in.user.id, settings=settings)
    visitor.sign_in(token=token)
    return redirect(safe_next(form.value("next")))


@router.post("/logout", include_in_schema=False)
def logout(session: SessionDep, visitor: WebSessionDep) -> Response:
    if visitor.token is not None:
        close_session(session, token=visitor.token)
    visitor.sign_out()
    return redirect("/app/login", ok="signed_out")
