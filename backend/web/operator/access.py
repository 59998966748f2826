"""Which lots an organisation may open in the operator app.

Regulators and the admin read everything. Everyone else sees a lot they hold now, a lot they
acted on before (recorded an event: they harvested it, packed it, handed it on) and a lot grown
on one of their farms. Nothing else: a packer never opens another packer's lot pages, though
the public consumer page of any lot stays open to all, as it is printed on the box. Acting on
a lot (recording, handing on, splitting, printing labels) takes holding it now.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, true
from sqlmodel import Session, col, select

from backend.errors import NotFound, PermissionDenied
from backend.i18n.messages import message
from backend.models import Event, Farm, Lot, Organisation
from backend.services.accounts import permissions
from backend.services.ledger.queries import get_lot_by_code
from backend.web.operator.context import HOLDER_ROLES, Operator


def visible_lots(org: Organisation) -> ColumnElement[bool]:
    """A SQL condition on ``Lot`` that is true for the lots ``org`` may open."""
    if permissions.reads_everything(org):
        return true()
    # Uncorrelated IN-subqueries: they work inside any enclosing query (counts joined to
    # events included) and each is one index lookup on the organisation.
    acted = col(Lot.id).in_(select(Event.lot_id).where(col(Event.org_id) == org.id))
    own_farm = col(Lot.farm_id).in_(select(Farm.id).where(col(Farm.org_id) == org.id))
    return or_(col(Lot.custodian_org_id) == org.id, acted, own_farm)


def can_view(session: Session, *, org: Organisation, lot: Lot) -> bool:
    if permissions.reads_everything(org) or lot.custodian_org_id == org.id:
        return True
    query = select(Lot.id).where(col(Lot.id) == lot.id, visible_lots(org))
    return session.exec(query).first() is not None


def viewable_lot(session: Session, *, org: Organisation, code: str) -> Lot:
    """The lot ``code`` if ``org`` may open it; ``NotFound`` or ``PermissionDenied`` if not."""
    lot = get_lot_by_code(session, code)
    if lot is None:
        raise NotFound(message("app.refused.no_lot"), field="code")
    if not can_view(session, org=org, lot=lot):
        raise PermissionDenied(message("app.refused.not_your_lot"))
    return lot


def held_lot(session: Session, *, operator: Operator, code: str) -> Lot:
    """The lot ``code`` if the operator's organisation holds it now (else 403 or 404)."""
    lot = viewable_lot(session, org=operator.org, code=code)
    if operator.role not in HOLDER_ROLES:
        raise PermissionDenied(permissions.WRONG_ROLE)
    permissions.require_custodian(operator.org, lot)
    return lot
