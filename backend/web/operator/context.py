"""Who is signed in, and how a page is rendered for them.

``OperatorDep`` is the dependency every private page takes: it loads the user named by the
session cookie (refusing a cookie issued before a password change) and their organisation.
``page`` renders a template with what every page needs (translator, language, navigation,
CSRF token), so templates never reach into the request themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from backend.deps import SessionDep
from backend.errors import PermissionDenied
from backend.i18n import catalogue, translator
from backend.models import Organisation, OrgRole, User
from backend.web.operator.routing import LoginRequired
from backend.web.sessions import WebSession, password_tag
from backend.web.templating import render

#: Roles that hold lots and move them along the chain (everyone but regulator and admin).
HOLDER_ROLES = frozenset(
    {OrgRole.COOPERATIVE, OrgRole.PACKER, OrgRole.DISTRIBUTOR, OrgRole.RETAILER}
)
#: Roles that may read every lot.
OVERSEER_ROLES = frozenset({OrgRole.REGULATOR, OrgRole.ADMIN})


@dataclass(frozen=True)
class Operator:
    """The signed-in person and the organisation they act for."""

    user: User
    org: Organisation

    @property
    def org_id(self) -> int:
        assert self.org.id is not None
        return self.org.id

    @property
    def role(self) -> OrgRole:
        return OrgRole(self.org.role)

    def has_role(self, *roles: OrgRole) -> bool:
        return self.role in roles


def current_operator(request: Request, session: SessionDep) -> Operator:
    """The signed-in operator, or ``LoginRequired`` (the route turns it into a redirect)."""
    web_session: WebSession = request.state.web_session
    if web_session.user_id is None:
        raise LoginRequired
    user = session.get(User, web_session.user_id)
    if user is None or web_session.password_tag != password_tag(user.password_hash):
        web_session.sign_out()
        raise LoginRequired
    org = session.get(Organisation, user.org_id)
    if org is None:
        web_session.sign_out()
        raise LoginRequired
    operator = Operator(user=user, org=org)
    request.state.operator = operator
    return operator


OperatorDep = Annotated[Operator, Depends(current_operator)]


def require_role(operator: Operator, *roles: OrgRole) -> None:
    """Refuse the page unless the operator's organisation has one of ``roles``."""
    if not operator.has_role(*roles):
        raise PermissionDenied("Vai trò không được phép / role not allowed")


def navigation(operator: Operator | None) -> list[tuple[str, str]]:
    """``(path, message key)`` pairs for the header, by role."""
    if operator is None:
        return []
    items = [("/app/", "app.nav.dashboard"), ("/app/lots", "app.nav.lots")]
    if operator.has_role(OrgRole.COOPERATIVE):
        items += [("/app/lots/new", "app.nav.new_lot"), ("/app/farms", "app.nav.farms")]
    if operator.has_role(*OVERSEER_ROLES):
        items.append(("/app/search", "app.nav.search"))
    if operator.has_role(OrgRole.ADMIN):
        items.append(("/app/admin/orgs", "app.nav.admin"))
    return items


def notice_from_query(request: Request, lang: str) -> str | None:
    """The success message named by ``?ok=`` after a redirect (only known keys, never echoed)."""
    key = request.query_params.get("ok")
    if not key:
        return None
    full = f"app.ok.{key}"
    return catalogue(lang).get(full) or catalogue("vi").get(full)


def page(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render ``template`` for this request's operator and language."""
    lang: str = request.state.lang
    web_session: WebSession = request.state.web_session
    operator: Operator | None = getattr(request.state, "operator", None)
    html = render(
        template,
        t=translator(lang),
        lang=lang,
        other_lang="en" if lang == "vi" else "vi",
        operator=operator,
        csrf_token=web_session.csrf_token,
        nav=navigation(operator),
        path=request.url.path,
        notice=notice_from_query(request, lang),
        **context,
    )
    return HTMLResponse(html, status_code=status_code)


def redirect(path: str, *, ok: str | None = None) -> RedirectResponse:
    """Post/redirect/get: after a successful form, go to ``path`` with a success notice."""
    target = f"{path}{'&' if '?' in path else '?'}ok={ok}" if ok else path
    return RedirectResponse(target, status_code=303)
