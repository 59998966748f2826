"""The admin's pages: organisations, and the people who sign in for them.

Creating an organisation also creates its first user, in one transaction: an organisation
nobody can sign in to is of no use in the web app. Its first API key is shown once, on the
page that answers the form, and is never retrievable again.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.deps import SessionDep
from backend.errors import NotFound, SenTraceError
from backend.i18n import translator
from backend.models import Organisation, OrgRole, User
from backend.services.accounts.orgs import create_organisation, get_org_by_slug
from backend.services.accounts.users import create_user, users_of_org
from backend.services.transactions import commit
from backend.web.operator.context import Operator, OperatorDep, page, redirect, require_role
from backend.web.operator.forms import (
    FieldReader,
    FormState,
    apply_service_error,
    read_form,
    shows_on_form,
)
from backend.web.operator.routing import OperatorRoute

router = APIRouter(prefix="/app/admin", tags=["operator"], route_class=OperatorRoute)

ASSIGNABLE_ROLES = [role.value for role in OrgRole if role is not OrgRole.ADMIN]


def _orgs_with_user_counts(session: Session) -> list[tuple[Organisation, int]]:
    query = select(User.org_id, func.count(col(User.id))).group_by(col(User.org_id))
    counts = {org_id: count for org_id, count in session.exec(query).all()}
    orgs = session.exec(
        select(Organisation).order_by(col(Organisation.role), col(Organisation.slug))
    )
    return [(org, int(counts.get(org.id, 0))) for org in orgs]


def _orgs_page(request: Request, session: Session, form: FormState, status: int = 200) -> Response:
    t = translator(request.state.lang)
    return page(
        request,
        "app/admin_orgs.html",
        status_code=status,
        orgs=_orgs_with_user_counts(session),
        form=form,
        role_options=[(role, t(f"app.roles.{role}")) for role in ASSIGNABLE_ROLES],
    )


@router.get("/orgs", include_in_schema=False)
def organisations(request: Request, operator: OperatorDep, session: SessionDep) -> Response:
    require_role(operator, OrgRole.ADMIN)
    return _orgs_page(request, session, FormState())


@router.post("/orgs", include_in_schema=False)
async def add_organisation(
    request: Request, operator: OperatorDep, session: SessionDep
) -> Response:
    require_role(operator, OrgRole.ADMIN)
    form = await read_form(request)
    lang: str = request.state.lang
    fields = FieldReader(form, translator(lang))
    slug = fields.text("slug", max_length=64)
    name = fields.text("name")
    role = fields.choice("role", ASSIGNABLE_ROLES)
    username = fields.text("username", max_length=64)
    display_name = fields.text("display_name", required=False)
    password = _take_password(form, fields)
    if not form.ok:
        return _orgs_page(request, session, form, status=422)
    try:
        org, api_key = create_organisation(
            session, slug=slug or "", name=name or "", role=role or ""
        )
        create_user(
            session,
            org_slug=org.slug,
            username=username or "",
            password=password,
            display_name=display_name or "",
        )
        commit(session)
    except SenTraceError as exc:
        session.rollback()
        if not shows_on_form(exc):
            raise
        apply_service_error(form, exc, lang=lang)
        return _orgs_page(request, session, form, status=422)
    return page(request, "app/admin_org_created.html", org=org, api_key=api_key, username=username)


@router.get("/orgs/{slug}", include_in_schema=False)
def organisation(
    request: Request, slug: str, operator: OperatorDep, session: SessionDep
) -> Response:
    require_role(operator, OrgRole.ADMIN)
    return _org_page(request, session, operator, slug, FormState())


def _org_page(
    request: Request,
    session: Session,
    operator: Operator,
    slug: str,
    form: FormState,
    status: int = 200,
) -> Response:
    org = get_org_by_slug(session, slug)
    if org is None:
        raise NotFound("Không có tổ chức này / no such organisation")
    assert org.id is not None
    return page(
        request,
        "app/admin_org.html",
        status_code=status,
        org=org,
        users=users_of_org(session, org_id=org.id),
        form=form,
    )


@router.post("/orgs/{slug}/users", include_in_schema=False)
async def add_user(
    request: Request, slug: str, operator: OperatorDep, session: SessionDep
) -> Response:
    require_role(operator, OrgRole.ADMIN)
    form = await read_form(request)
    lang: str = request.state.lang
    fields = FieldReader(form, translator(lang))
    username = fields.text("username", max_length=64)
    display_name = fields.text("display_name", required=False)
    password = _take_password(form, fields)
    if not form.ok:
        return _org_page(request, session, operator, slug, form, status=422)
    try:
        create_user(
            session,
            org_slug=slug,
            username=username or "",
            password=password,
            display_name=display_name or "",
        )
        commit(session)
    except SenTraceError as exc:
        session.rollback()
        if not shows_on_form(exc):
            raise
        apply_service_error(form, exc, lang=lang)
        return _org_page(request, session, operator, slug, form, status=422)
    return redirect(f"/app/admin/orgs/{slug}", ok="user_created")


def _take_password(form: FormState, fields: FieldReader) -> str:
    """The submitted password, removed from the values so it is never echoed back."""
    password = form.values.pop("password", "")
    if not password:
        form.fail("password", fields.t("app.errors.required"))
    return password
