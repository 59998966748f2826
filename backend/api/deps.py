"""The API's dependencies as ``Annotated`` aliases, in one place, so routers read like their
signatures (``org: CurrentOrg``, ``write: WriteDep``) and a reader finds every one here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from backend.api.auth import current_org
from backend.api.writes import Write, idempotency_key, new_write
from backend.deps import RuntimeDep, SessionDep, SettingsDep
from backend.errors import PermissionDenied
from backend.http.rate_limit import enforce_public_rate_limit
from backend.models import Organisation, OrgRole
from backend.services.accounts.permissions import WRONG_ROLE
from backend.services.verification.chain_view import ChainView

__all__ = [
    "AdminOrg",
    "ChainViewDep",
    "CurrentOrg",
    "PublicRateLimit",
    "RuntimeDep",
    "SessionDep",
    "SettingsDep",
    "WriteDep",
    "require_roles",
]

CurrentOrg = Annotated[Organisation, Depends(current_org)]

#: For ``dependencies=[PublicRateLimit]`` on public, unauthenticated reads.
PublicRateLimit = Depends(enforce_public_rate_limit)


def require_roles(*roles: OrgRole) -> Callable[[Organisation], Organisation]:
    """A dependency that lets through only organisations with one of ``roles`` (403 else)."""
    allowed = frozenset(roles)

    def dependency(org: CurrentOrg) -> Organisation:
        if org.role not in allowed:
            raise PermissionDenied(WRONG_ROLE)
        return org

    return dependency


AdminOrg = Annotated[Organisation, Depends(require_roles(OrgRole.ADMIN))]


async def write_context(request: Request, session: SessionDep, org: CurrentOrg) -> Write:
    """The :class:`Write` of this request (reads the raw body for the fingerprint that names it
    for its idempotency key and its signing draft)."""
    key = idempotency_key(request)
    body = await request.body()
    return new_write(request, session, org, key, body)


WriteDep = Annotated[Write, Depends(write_context)]


def chain_view_dependency(runtime: RuntimeDep) -> ChainView:
    """The request's chain view (a plain function: the first view of a new chain client asks
    the node for its chain id, which must not block the event loop)."""
    return runtime.chain_view()


ChainViewDep = Annotated[ChainView, Depends(chain_view_dependency)]
