"""Loading a lot for a write, locked against concurrent writers.

Transfers, splits, merges and recalls read a lot's state (custodian, what is left of it) and
then change it; two such writes racing on one lot must not both pass their checks. On
PostgreSQL the row is taken with ``SELECT … FOR UPDATE`` until the transaction ends; SQLite
has no row locks and serialises writers on the whole database instead (the clause is dropped).
"""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import Session, select

from backend.errors import InvalidInput, NotFound
from backend.models import Lot

UNKNOWN_LOT = "Không tìm thấy lô / lot not found"


def lock_lot(session: Session, code: str) -> Lot:
    """The lot named in the URL, locked; :class:`NotFound` (404) if there is none."""
    lot = _locked(session, code)
    if lot is None:
        raise NotFound(UNKNOWN_LOT)
    return lot


def lock_referenced_lot(session: Session, code: str, *, field: str) -> Lot:
    """A lot named in a request body, locked; :class:`InvalidInput` (422) naming ``field``."""
    lot = _locked(session, code) if isinstance(code, str) else None
    if lot is None:
        raise InvalidInput(UNKNOWN_LOT, field=field)
    return lot


#: Built once (every write to a lot runs it): ``FOR UPDATE`` on PostgreSQL, dropped by SQLite.
_LOT_FOR_UPDATE = select(Lot).where(Lot.code == bindparam("code")).with_for_update()


def _locked(session: Session, code: str) -> Lot | None:
    return session.exec(_LOT_FOR_UPDATE, params={"code": code}).first()
