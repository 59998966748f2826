"""Organisations and their API keys (admin), and ``/orgs/me`` for any caller."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlmodel import Session

from backend.api import gs1_prefixes, presenters, signing_keys
from backend.api.deps import AdminOrg, CurrentOrg, SessionDep, SettingsDep, WriteDep
from backend.errors import NotFound
from backend.i18n.messages import message
from backend.models import Organisation
from backend.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    OrgCreate,
    OrgCreated,
    OrgPublic,
)
from backend.services.accounts import api_keys, orgs
from backend.services.transactions import commit

router = APIRouter(prefix="/api/v1/orgs", tags=["organisations"])

router.include_router(signing_keys.router)  # /api/v1/orgs/{slug}/signing-keys
router.include_router(gs1_prefixes.router)  # /api/v1/orgs/{slug}/gs1-prefixes

UNKNOWN_ORG = message("accounts.unknown_org")


@router.post("", status_code=201, response_model=OrgCreated)
def create_org(
    body: OrgCreate, _admin: AdminOrg, session: SessionDep, settings: SettingsDep, write: WriteDep
) -> JSONResponse:
    """Create an organisation; the answer holds its first API key, shown this once. A
    ``custodial`` organisation also gets its first signing key (see ``/signing-keys``)."""

    def action() -> OrgCreated:
        org, key = orgs.create_organisation(
            session,
            slug=body.slug,
            name=body.name,
            role=body.role,
            key_custody=body.key_custody,
            settings=settings,
        )
        public = presenters.org_public(org).model_dump()
        return OrgCreated(**public, api_key=key, key_custody=org.key_custody)

    return write.run(action, secret_fields=("api_key",))


@router.get("/me", response_model=OrgPublic)
def who_am_i(org: CurrentOrg) -> OrgPublic:
    """The organisation the presented key belongs to."""
    return presenters.org_public(org)


@router.post("/{slug}/keys", status_code=201, response_model=ApiKeyCreated)
def create_key(
    slug: str, body: ApiKeyCreate, _admin: AdminOrg, session: SessionDep, write: WriteDep
) -> JSONResponse:
    """Issue another key for an organisation (e.g. to rotate keys without downtime)."""

    def action() -> ApiKeyCreated:
        row, key = api_keys.issue_api_key(session, org=_org(session, slug), label=body.label)
        return ApiKeyCreated(**presenters.api_key_public(row).model_dump(), api_key=key)

    return write.run(action, secret_fields=("api_key",))


@router.get("/{slug}/keys", response_model=list[ApiKeyPublic])
def list_keys(slug: str, _admin: AdminOrg, session: SessionDep) -> list[ApiKeyPublic]:
    """An organisation's keys (prefixes only; the keys themselves are not stored)."""
    rows = api_keys.list_api_keys(session, org=_org(session, slug))
    return [presenters.api_key_public(row) for row in rows]


@router.delete("/{slug}/keys/{key_id}", response_model=ApiKeyPublic)
def revoke_key(slug: str, key_id: int, _admin: AdminOrg, session: SessionDep) -> ApiKeyPublic:
    """Revoke a key at once; revoking it again changes nothing."""
    return _revoke(session, slug, key_id)


@router.post("/{slug}/keys/{key_id}/revoke", response_model=ApiKeyPublic)
def revoke_key_post(slug: str, key_id: int, _admin: AdminOrg, session: SessionDep) -> ApiKeyPublic:
    """The same as ``DELETE``, for clients that cannot send one."""
    return _revoke(session, slug, key_id)


def _revoke(session: Session, slug: str, key_id: int) -> ApiKeyPublic:
    row = api_keys.revoke_api_key(session, org=_org(session, slug), key_id=key_id)
    commit(session)
    return presenters.api_key_public(row)


def _org(session: Session, slug: str) -> Organisation:
    org = orgs.get_org_by_slug(session, slug)
    if org is None:
        raise NotFound(UNKNOWN_ORG)
    return org
