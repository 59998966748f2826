"""Which lots an organisation may read beyond what the consumer page shows.

Regulators and the admin read everything. Everyone else reads a lot they hold now, a lot on its
way to them (a shipment waiting for them to receive or refuse it), a lot they acted on before
(recorded an event: they harvested it, packed it, handed it on) and a lot grown on one of
their farms. The operator app opens lot pages by this rule and the API shows a lot's
full record (custodian, remaining quantity, children, every event's data) by it; anyone else
gets the lot's public face, what its printed label's page shows.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, true
from sqlmodel import Session, col, select

from backend.models import Event, Farm, Lot, Organisation
from backend.services.accounts import permissions


def visible_lots(org: Organisation) -> ColumnElement[bool]:
    """A SQL condition on ``Lot`` that is true for the lots ``org`` may read."""
    if permissions.reads_everything(org):
        return true()
    # Uncorrelated IN-subqueries: they work inside any enclosing query (counts joined to
    # events included) and each is one index lookup on the organisation.
    acted = col(Lot.id).in_(select(Event.lot_id).where(col(Event.org_id) == org.id))
    own_farm = col(Lot.farm_id).in_(select(Farm.id).where(col(Farm.org_id) == org.id))
    coming = col(Lot.in_transit_to) == org.id
    return or_(col(Lot.custodian_org_id) == org.id, coming, acted, own_farm)


def can_read(session: Session, *, org: Organisation, lot: Lot) -> bool:
    """Whether ``org`` may read ``lot``'s full record."""
    if permissions.reads_everything(org) or org.id in (lot.custodian_org_id, lot.in_transit_to):
        return True
    query = select(Lot.id).where(col(Lot.id) == lot.id, visible_lots(org))
    return session.exec(query).first() is not None
