"""Which lots an organisation may open in the operator app.

The rule is ``services/ledger/visibility`` (the API's full lot record follows it too):
regulators and the admin read everything; everyone else a lot they hold, acted on, or grew.
Nothing else: a packer never opens another packer's lot pages, though
the public consumer page of any lot stays open to all, as it is printed on the box. Acting on
a lot (recording, handing on, splitting, printing labels) takes holding it now.
"""

from __future__ import annotations

from sqlmodel import Session

from backend.errors import NotFound, PermissionDenied
from backend.i18n.messages import message
from backend.models import Lot, Organisation
from backend.services.accounts import permissions
from backend.services.ledger.queries import get_lot_by_code
from backend.services.ledger.visibility import can_read, visible_lots

__all__ = ["can_view", "held_lot", "viewable_lot", "visible_lots"]
from backend.web.operator.context import HOLDER_ROLES, Operator


def can_view(session: Session, *, org: Organisation, lot: Lot) -> bool:
    return can_read(session, org=org, lot=lot)


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
