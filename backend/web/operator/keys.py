"""The key page (/app/keys): each person's browser-held signing key, and the organisation's keys.

The key is made (or imported from a keystore file) in the browser and never leaves it: these
routes learn only its address, register it as a browser-held key of the person's organisation
(pending until the registry records it), rotate to a new one (the old one revoked in the same
transaction), or revoke one. The page lists every key of the organisation with its status,
so a lost or stolen key can be revoked from any colleague's browser.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from backend.models import KeyCustody, KeyStatus, OrgKey, User
from backend.services.accounts.org_keys import keys_of, register_key, revoke_key
from backend.web.operator.context import FormPage, Operator, redirect
from backend.web.operator.deps import OperatorDep, SessionDep, SubmissionDep
from backend.web.operator.forms import FormState
from backend.web.operator.routing import OperatorRoute

router = APIRouter(prefix="/app/keys", tags=["operator"], route_class=OperatorRoute)

KEYS_PATH = "/app/keys"
#: Notices the page shows after ``?done=`` (only these keys, never the query's text).
DONE = frozenset({"key_registered", "key_rotated", "key_revoked", "key_restored"})


def _key_rows(session: Session, keys: list[OrgKey], operator: Operator) -> list[dict[str, Any]]:
    """The organisation's keys, newest first, with who made each."""
    rows = []
    for key in reversed(keys):
        creator = session.get(User, key.created_by_user_id) if key.created_by_user_id else None
        rows.append(
            {
                "address": key.address,
                "custody": key.custody,
                "status": key.status,
                "mine": key.created_by_user_id == operator.user.id,
                "creator": creator.username if creator else "",
                "created_at": key.created_at,
                "activated_at": key.activated_at,
                "revoked_at": key.revoked_at,
                "revocable": key.status != KeyStatus.REVOKED,
            }
        )
    return rows


def _keys_page(request: Request, session: Session, operator: Operator) -> FormPage:
    def facts() -> dict[str, Any]:
        rows = _key_rows(session, keys_of(session, operator.org), operator)
        done = request.query_params.get("done")
        return {
            "keys": rows,
            "script_keys": [{"address": r["address"], "status": r["status"]} for r in rows],
            "done": done if done in DONE else None,
            "setup": request.query_params.get("setup") == "1",
            "custody": operator.org.key_custody,
        }

    return FormPage(request, "app/keys.html", facts)


@router.get("", include_in_schema=False)
def keys_page(request: Request, operator: OperatorDep, session: SessionDep) -> Response:
    return _keys_page(request, session, operator).show(FormState())


@router.post("", include_in_schema=False)
async def register(
    request: Request, operator: OperatorDep, session: SessionDep, posted: SubmissionDep
) -> Response:
    """Registers the address of a key this browser made or imported."""
    address = posted.fields.text("address", max_length=42)
    return posted.settle(
        lambda: register_key(
            session,
            operator.org,
            address=address or "",
            custody=KeyCustody.BROWSER.value,
            user=operator.user,
        ),
        then=lambda _: redirect(f"{KEYS_PATH}?done=key_registered"),
        again=_keys_page(request, session, operator),
        fallback_field="address",
    )


@router.post("/rotate", include_in_schema=False)
async def rotate(
    request: Request, operator: OperatorDep, session: SessionDep, posted: SubmissionDep
) -> Response:
    """A new key registered and the old one revoked, together or not at all."""
    address = posted.fields.text("address", max_length=42)
    old_address = posted.fields.text("old_address", max_length=42)

    def write() -> OrgKey:
        new = register_key(
            session,
            operator.org,
            address=address or "",
            custody=KeyCustody.BROWSER.value,
            user=operator.user,
        )
        revoke_key(session, operator.org, address=old_address or "")
        return new

    return posted.settle(
        write,
        then=lambda _: redirect(f"{KEYS_PATH}?done=key_rotated"),
        again=_keys_page(request, session, operator),
        fallback_field="address",
    )


@router.post("/{address}/revoke", include_in_schema=False)
async def revoke(
    request: Request,
    address: str,
    operator: OperatorDep,
    session: SessionDep,
    posted: SubmissionDep,
) -> Response:
    """Revokes one of the organisation's keys (a lost phone, a colleague who left)."""
    return posted.settle(
        lambda: revoke_key(session, operator.org, address=address),
        then=lambda _: redirect(f"{KEYS_PATH}?done=key_revoked"),
        again=_keys_page(request, session, operator),
        fallback_field="_form",
    )
