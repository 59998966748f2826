"""The signed-in person's own account: changing their password (/app/account/password).

A password change ends every session of the user, the one that asked included, and sends the
browser to the sign-in page rather than handing it a fresh session. That is the safer of the
two: whoever may have held a copy of any of the user's cookies (a shared computer, a stolen
phone) is out at once, and the next session is opened only by someone who knows the new
password. The current password is asked for, so a session left open on someone else's screen
is not enough to take the account over.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from backend.services.accounts.users import change_password
from backend.web.operator.context import FormPage, redirect
from backend.web.operator.deps import OperatorDep, SessionDep, SubmissionDep, WebSessionDep
from backend.web.operator.forms import FormState
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

    def signed_out(_: None) -> Response:
        visitor.sign_out()
        return redirect(LOGIN_PATH, ok="password_changed")

    return posted.settle(
        lambda: change_password(session, user=operator.user, current=current, new=new),
        then=signed_out,
        again=_password_page(request),
        field_map=_FIELD_MAP,
    )
