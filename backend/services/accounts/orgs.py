"""Organisations: created by the admin, each with a role, a first API key and a key custody.

``key_custody`` says who holds the organisation's signing keys: ``client`` (its own system,
the default), ``browser`` (its users' browsers) or ``custodial`` (the server, sealed at rest);
a custodial organisation gets its first signing key when it is created.

The admin organisation (slug ``admin``) is not created through the API: it appears the first
time someone presents ``SENTRACE_ADMIN_TOKEN``, so a fresh install needs nothing but that token.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from backend.config import Settings
from backend.errors import Conflict, InvalidInput
from backend.i18n.messages import message
from backend.models import KeyCustody, Organisation, OrgRole
from backend.services import validation
from backend.services.accounts import org_keys
from backend.services.accounts.api_keys import issue_api_key

ADMIN_SLUG = "admin"
ADMIN_NAME = message("accounts.admin_name")
DUPLICATE_SLUG = message("accounts.slug_taken")


def get_org_by_slug(session: Session, slug: str) -> Organisation | None:
    """The organisation with this slug, or ``None``."""
    return session.exec(select(Organisation).where(Organisation.slug == slug)).first()


def create_organisation(
    session: Session,
    *,
    slug: str,
    name: str,
    role: OrgRole | str,
    key_custody: str = "client",
    settings: Settings | None = None,
) -> tuple[Organisation, str]:
    """A new organisation and its first API key (the key in clear, shown once); a custodial
    one also its first signing key (sealed with ``settings``' encryption secret)."""
    slug = validation.slug(slug)
    clean_name = validation.required_text(name, field="name", max_length=200)
    org_role = _role(role)
    custody = org_keys.custody_of(key_custody, field="key_custody")
    if slug == ADMIN_SLUG or get_org_by_slug(session, slug) is not None:
        raise Conflict(DUPLICATE_SLUG, field="slug")
    org = Organisation(slug=slug, name=clean_name, role=org_role, key_custody=custody.value)
    session.add(org)
    session.flush()
    _, key = issue_api_key(session, org=org, label="initial")
    if custody is KeyCustody.CUSTODIAL:
        if settings is None:
            raise ValueError("a custodial organisation needs the settings to seal its key")
        org_keys.create_custodial_key(session, org, settings)
    return org, key


def _role(value: OrgRole | str) -> OrgRole:
    try:
        role = OrgRole(value)
    except ValueError:
        role = None
    if role is None or role is OrgRole.ADMIN:
        choices = ", ".join(r.value for r in OrgRole if r is not OrgRole.ADMIN)
        raise InvalidInput(message("accounts.role_choice", tail=choices), field="role")
    return role


def ensure_admin_org(session: Session) -> Organisation:
    """The admin organisation, created on first use (safe against a concurrent first use)."""
    existing = get_org_by_slug(session, ADMIN_SLUG)
    if existing is not None:
        return existing
    try:
        with session.begin_nested():
            org = Organisation(slug=ADMIN_SLUG, name=ADMIN_NAME, role=OrgRole.ADMIN)
            session.add(org)
    except IntegrityError:  # another request created it between our read and our insert
        existing = get_org_by_slug(session, ADMIN_SLUG)
        if existing is None:
            raise
        return existing
    return org
