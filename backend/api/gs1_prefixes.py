"""An organisation's GS1 company prefixes: registered and listed by the platform admin.

A prefix is what makes an organisation the owner of the GTINs that carry it (see
``services/catalog/gs1_prefixes``), so only the admin, who checks the GS1 licence, records one.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from backend.api.deps import AdminOrg, SessionDep
from backend.errors import NotFound
from backend.i18n.messages import message
from backend.models import Gs1Prefix, Organisation
from backend.services.accounts import orgs
from backend.services.catalog import gs1_prefixes
from backend.services.transactions import commit
from backend.timeutil import as_utc

router = APIRouter(tags=["organisations"])  # included by backend.api.orgs under /api/v1/orgs


class Gs1PrefixCreate(BaseModel):
    """Body of ``POST /orgs/{slug}/gs1-prefixes``."""

    model_config = ConfigDict(extra="forbid")

    prefix: str = Field(max_length=12, description="The GS1 company prefix, 4–12 digits.")
    licence: str = Field(max_length=200, description="GS1 Vietnam's licence reference.")


class Gs1PrefixPublic(BaseModel):
    """A registered prefix."""

    org: str
    prefix: str
    licence: str
    created_at: datetime


@router.post("/{slug}/gs1-prefixes", status_code=201, response_model=Gs1PrefixPublic)
def register_prefix(
    slug: str, body: Gs1PrefixCreate, _admin: AdminOrg, session: SessionDep
) -> Gs1PrefixPublic:
    """Record that the organisation holds a GS1 company prefix; its products may then carry
    GTINs under it, and no other organisation's may."""
    org = _org(session, slug)
    row = gs1_prefixes.register_prefix(session, org=org, prefix=body.prefix, licence=body.licence)
    commit(session)
    return _public(org, row)


@router.get("/{slug}/gs1-prefixes", response_model=list[Gs1PrefixPublic])
def list_prefixes(slug: str, _admin: AdminOrg, session: SessionDep) -> list[Gs1PrefixPublic]:
    """The organisation's registered prefixes."""
    org = _org(session, slug)
    return [_public(org, row) for row in gs1_prefixes.prefixes_of(session, org=org)]


def _public(org: Organisation, row: Gs1Prefix) -> Gs1PrefixPublic:
    return Gs1PrefixPublic(
        org=org.slug, prefix=row.prefix, licence=row.licence, created_at=as_utc(row.created_at)
    )


def _org(session: SessionDep, slug: str) -> Organisation:
    org = orgs.get_org_by_slug(session, slug)
    if org is None:
        raise NotFound(message("accounts.unknown_org"))
    return org
