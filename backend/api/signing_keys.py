"""An organisation's signing keys: list, add, revoke (the admin, or the organisation itself).

``/api/v1/orgs/{slug}/keys`` serves API keys; signing keys live at ``…/signing-keys``. A
client-held organisation registers the address of a key it made (the server never sees the
private key); ``{"custody": "custodial"}`` asks the server to make one and keep it sealed. A
key signs once the anchoring worker has recorded it on chain (``status`` goes ``pending`` →
``active``); a revoked key never returns.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlmodel import Session

from backend.api.deps import CurrentOrg, SessionDep, SettingsDep, WriteDep
from backend.errors import InvalidInput, NotFound, PermissionDenied
from backend.i18n.messages import message
from backend.models import KeyCustody, Organisation, OrgKey, OrgRole
from backend.schemas_keys import SigningKeyCreate, SigningKeyPublic
from backend.services.accounts import org_keys, orgs
from backend.services.transactions import commit
from backend.timeutil import as_utc

router = APIRouter(tags=["signing keys"])  # included by backend.api.orgs under /api/v1/orgs


@router.get("/{slug}/signing-keys", response_model=list[SigningKeyPublic])
def list_signing_keys(slug: str, caller: CurrentOrg, session: SessionDep) -> list[SigningKeyPublic]:
    """The organisation's signing keys, oldest first (revoked ones too)."""
    org = _managed(session, slug, caller)
    return [_public(key) for key in org_keys.keys_of(session, org)]


@router.post("/{slug}/signing-keys", status_code=201, response_model=SigningKeyPublic)
def add_signing_key(
    slug: str,
    body: SigningKeyCreate,
    caller: CurrentOrg,
    session: SessionDep,
    settings: SettingsDep,
    write: WriteDep,
) -> JSONResponse:
    """Register a key by address, or make a custodial one; it is pending until on chain."""
    org = _managed(session, slug, caller)

    def action() -> SigningKeyPublic:
        custody = org_keys.custody_of(body.custody)
        if custody is KeyCustody.CUSTODIAL:
            return _public(org_keys.create_custodial_key(session, org, settings))
        if body.address is None:
            raise InvalidInput(message("keys.bad_address"), field="address")
        key = org_keys.register_key(session, org, address=body.address, custody=custody)
        return _public(key)

    return write.run(action)


@router.post("/{slug}/signing-keys/{address}/revoke", response_model=SigningKeyPublic)
def revoke_signing_key(
    slug: str, address: str, caller: CurrentOrg, session: SessionDep
) -> SigningKeyPublic:
    """Revoke a key: it signs nothing more from now on, and on chain once its change lands."""
    org = _managed(session, slug, caller)
    key = org_keys.revoke_key(session, org, address=address)
    commit(session)
    return _public(key)


def _managed(session: Session, slug: str, caller: Organisation) -> Organisation:
    """The organisation ``slug`` if ``caller`` may manage its keys (the admin or itself)."""
    if caller.role is not OrgRole.ADMIN and caller.slug != slug:
        raise PermissionDenied(message("keys.not_your_keys"), field="slug")
    org = orgs.get_org_by_slug(session, slug)
    if org is None:
        raise NotFound(message("accounts.unknown_org"), field="slug")
    return org


def _public(key: OrgKey) -> SigningKeyPublic:
    return SigningKeyPublic(
        address=key.address,
        custody=key.custody,
        status=key.status,
        created_at=as_utc(key.created_at),
        activated_at=as_utc(key.activated_at) if key.activated_at else None,
        revoked_at=as_utc(key.revoked_at) if key.revoked_at else None,
    )
