"""The admin's pages: organisations, and the people who sign in for them.

Creating an organisation also creates its first user, in one transaction: an organisation
nobody can sign in to is of no use in the web app. Its first API key is shown once, on the
page that answers the form, and is never retrievable again.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.errors import NotFound
from backend.i18n import Translator
from backend.i18n.messages import message
from backend.models import Organisation, OrgRole, User
from backend.services.accounts.orgs import create_organisation, get_org_by_slug
from backend.services.accounts.users import create_user, users_of_org
from backend.web.operator.context import FormPage, page, redirect
from backend.web.operator.deps import AdminDep, SessionDep, SubmissionDep, TranslatorDep
from backend.web.operator.forms import FormState
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


def _orgs_page(request: Request, session: Session, t: Translator) -> FormPage:
    return FormPage(
        request,
        "app/admin_orgs.html",
        lambda: {
            "orgs": _orgs_with_user_counts(session),
            "role_options": [(role, t(f"app.roles.{role}")) for role in ASSIGNABLE_ROLES],
        },
    )


@router.get("/orgs", include_in_schema=False)
def organisations(
    request: Request, _admin: AdminDep, session: SessionDep, t: TranslatorDep
) -> Response:
    return _orgs_page(request, session, t).show(FormState())


@router.post("/orgs", include_in_schema=False)
async def add_organisation(
    request: Request, _admin: AdminDep, session: SessionDep, posted: SubmissionDep
) -> Response:
    fields = posted.fields
    slug = fields.text("slug", max_length=64)
    name = fields.text("name")
    role = fields.choice("role", ASSIGNABLE_ROLES)
    username = fields.text("username", max_length=64)
    display_name = fields.text("display_name", required=False)
    password = fields.password()

    def create() -> dict[str, object]:
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
        return {"org": org, "api_key": api_key}

    return posted.settle(
        create,
        then=lambda created: page(
            request, "app/admin_org_created.html", username=username, **created
        ),
        again=_orgs_page(request, session, fields.t),
    )


def _org_page(request: Request, session: Session, slug: str) -> FormPage:
    def org_and_users() -> dict[str, object]:
        org = get_org_by_slug(session, slug)
        if org is None:
            raise NotFound(message("app.refused.no_org"))
        assert org.id is not None
        return {"org": org, "users": users_of_org(session, org_id=org.id)}

    return FormPage(request, "app/admin_org.html", org_and_users)


@router.get("/orgs/{slug}", include_in_schema=False)
def organisation(request: Request, slug: str, _admin: AdminDep, session: SessionDep) -> Response:
    return _org_page(request, session, slug).show(FormState())


@router.post("/orgs/{slug}/users", include_in_schema=False)
async def add_user(
    request: Request, slug: str, _admin: AdminDep, session: SessionDep, posted: SubmissionDep
) -> Response:
    fields = posted.fields
    username = fields.text("username", max_length=64)
    display_name = fields.text("display_name", required=False)
    password = fields.password()
    return posted.settle(
        lambda: create_user(
            session,
            org_slug=slug,
            username=username or "",
            password=password,
            display_name=display_name or "",
        ),
        then=lambda _: redirect(f"/app/admin/orgs/{slug}", ok="user_created"),
        again=_org_page(request, session, slug),
    )
