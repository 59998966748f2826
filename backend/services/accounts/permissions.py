"""Who may do what: the role matrix and the ownership rules, in one place.

Roles say what kind of actor an organisation is; ownership says which farm or lot it may touch.
Both are checked in the services (so the CLI and the demo loader obey them too); routers may
gate early on roles with ``backend.api.deps.require_roles``, which uses these same sets.

| action                          | roles                        | and also                    |
| ------------------------------- | ---------------------------- | --------------------------- |
| create organisations, keys      | admin                        |                             |
| register a farm                 | cooperative                  | owned by the caller         |
| register a product              | cooperative, packer, admin   |                             |
| create a harvest lot            | cooperative                  | on a farm the caller owns   |
| add events, transfer, split     | any                          | caller is the lot custodian |
|                                 |                              | and the lot not in transit  |
| receive or refuse a shipment    | any                          | caller is its receiver      |
| cancel an expired shipment      | any                          | caller is its sender        |
| merge                           | any                          | caller holds every source   |
| recall                          | regulator                    |                             |
| log inputs in a farm's diary    | cooperative                  | owned by the caller         |
| override a pre-harvest interval | regulator                    |                             |
| list every lot                  | regulator, admin             | (others list lots they hold) |
"""

from __future__ import annotations

from backend.errors import Conflict, PermissionDenied
from backend.i18n.messages import message
from backend.models import Farm, Lot, Organisation, OrgRole

ORG_MANAGERS = frozenset({OrgRole.ADMIN})
FARM_OWNERS = frozenset({OrgRole.COOPERATIVE})
PRODUCT_REGISTRARS = frozenset({OrgRole.COOPERATIVE, OrgRole.PACKER, OrgRole.ADMIN})
HARVESTERS = frozenset({OrgRole.COOPERATIVE})
RECALLERS = frozenset({OrgRole.REGULATOR})
PHI_OVERRIDERS = frozenset({OrgRole.REGULATOR})
READ_ALL = frozenset({OrgRole.REGULATOR, OrgRole.ADMIN})

WRONG_ROLE = message("accounts.permissions.wrong_role")
NOT_CUSTODIAN = message("accounts.permissions.not_custodian")
NOT_FARM_OWNER = message("accounts.permissions.not_farm_owner")
IN_TRANSIT = message("accounts.permissions.in_transit")


def require_role(org: Organisation, allowed: frozenset[OrgRole]) -> None:
    """Raise :class:`PermissionDenied` unless ``org`` has one of the ``allowed`` roles."""
    if org.role not in allowed:
        raise PermissionDenied(WRONG_ROLE)


def require_custodian(org: Organisation, lot: Lot, *, field: str | None = None) -> None:
    """Only the organisation holding a lot may write about it (bar a regulator's recall), and
    not while it is in transit: a shipment waits for its receiver (docs/custody.md)."""
    require_holder(org, lot, field=field)
    if lot.in_transit_to is not None:
        raise Conflict(IN_TRANSIT, field=field)


def require_holder(org: Organisation, lot: Lot, *, field: str | None = None) -> None:
    """The organisation holds the lot (in transit or not): enough to read what only its
    holder reads, not to write."""
    if lot.custodian_org_id != org.id:
        raise PermissionDenied(NOT_CUSTODIAN, field=field)


def require_farm_owner(org: Organisation, farm: Farm) -> None:
    """A cooperative may harvest only on its own farms."""
    if farm.org_id != org.id:
        raise PermissionDenied(NOT_FARM_OWNER, field="farm")


def reads_everything(org: Organisation) -> bool:
    """Regulators and the admin see every lot in listings, not only the ones they hold."""
    return org.role in READ_ALL
