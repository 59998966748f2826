"""Who is signed in, and how a page is rendered for them.

``Operator`` is the signed-in person and their organisation (``deps.OperatorDep`` loads it).
``page`` renders a template with what every page needs (translator, language, navigation,
CSRF token), so templates never reach into the request themselves; ``FormPage`` is a page
that shows a form, rendered the same way on the first visit and after a refused post.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from backend.i18n import catalogue, translator
from backend.models import Organisation, OrgRole, User
from backend.web.operator.forms import FormState
from backend.web.sessions import WebSession
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


def navigation(operator: Operator | None) -> list[tuple[str, str]]:
    """``(path, message key)`` pairs for the header, by role."""
    if operator is None:
        return []
    items = [("/app/", "app.nav.dashboard"), ("/app/lots", "app.nav.lots")]
    if operator.has_role(*HOLDER_ROLES):
        items.append(("/app/shipments", "app.nav.shipments"))
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


@dataclass(frozen=True)
class FormPage:
    """A page with a form: its template, and what else it shows, gathered only when rendered.

    ``context`` is called at render time, so a page shown again after a refused write reads
    the database as the rollback left it, and a write that succeeds costs no page queries.
    """

    request: Request
    template: str
    context: Callable[[], Mapping[str, Any]] = dict

    def show(self, form: FormState, *, status: int = 200) -> HTMLResponse:
        return page(self.request, self.template, status_code=status, form=form, **self.context())
