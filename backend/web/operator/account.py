"""The signed-in person's own account: changing their password (/app/account/password).

A password change ends every session of the user, the one that asked included, and sends the
browser to the sign-in page rather than handing it a fresh session. That is the safer of the
two: whoever may have held a copy of any of the user's cookies (a shared computer, a stolen
phone) is out at once, and the next session is opened only by someone who knows the new
password. The current password is asked for, so a session left open on someone else's screen
is not enough to take the account over; wrong guesses of it count against the sign-in throttle
(and are committed before the form is shown again), so that screen is no way around it either.
"""

from __future__ import annotations

import math

from fastapi import APIRouter, Request, Response

from backend.errors import InvalidInput
from backend.http.rate_limit import client_key
from backend.services.accounts.users import (
    LoginThrottled,
    change_password,
    confirm_current_password,
)
from backend.services.transactions import commit
from backend.timeutil import in_vietnam, utcnow
from backend.web.operator.context import FormPage, redirect
from backend.web.operator.deps import (
    OperatorDep,
    SessionDep,
    SettingsDep,
    SubmissionDep,
    WebSessionDep,
)
from backend.web.operator.forms import FormState, apply_service_error
from backend.web.operator.routing import LOGIN_PATH, OperatorRoute

router = APIRouter(prefix="/app/account", tags=["operator"], route_class=OperatorRoute)

#: Where the service's refusals land. The password fields are taken out of the form's values
#: (never sent back), so each is named here; the new one is ``password`` to the service.
_FIELD_MAP = {"password": "new_password", "current_password": "current_password"}


def _password_page(request: Request) -> FormPage:
    return FormPage(request, "app/account_password.html")


@router.get("/password", include_in_schema=False)
def password_form(request: Request, _operator: OperatorDep) -> Response:
    return _password_page(request).show(FormState())


@router.post("/password", include_in_schema=False)
async def password_change(
    request: Request,
    operator: OperatorDep,
    session: SessionDep,
    settings: SettingsDep,
    visitor: WebSessionDep,
    posted: SubmissionDep,
) -> Response:
    """Checks the current password, sets the new one, ends every session of the user."""
    fields = posted.fields
    current = fields.password("current_password")
    new = fields.password("new_password")
    again = fields.password("new_password_again")
    if new and again and new != again:
        fields.state.fail("new_password_again", fields.t("app.account.mismatch"))
    if current:
        try:
            confirm_current_password(
                session,
                user=operator.user,
                password=current,
                address=client_key(request),
                settings=settings,
            )
        except LoginThrottled as exc:
            commit(session)
            until = in_vietnam(exc.retry_at).strftime("%H:%M:%S")
            fields.state.fail("_form", fields.t("app.login.throttled", until=until))
            response = _password_page(request).show(fields.state, status=429)
            wait = max(1, math.ceil((exc.retry_at - utcnow()).total_seconds()))
            response.headers["Retry-After"] = str(wait)
            return response
        except InvalidInput as exc:
            commit(session)  # the wrong guess is counted, whatever the form says next
            apply_service_error(fields.state, exc, lang=posted.lang, field_map=_FIELD_MAP)

    def signed_out(_: None) -> Response:
        visitor.sign_out()
        return redirect(LOGIN_PATH, ok="password_changed")

    return posted.settle(
        lambda: change_password(session, user=operator.user, current=current, new=new),
        then=signed_out,
        again=_password_page(request),
        field_map=_FIELD_MAP,
    )
