"""Loading a lot for a write, locked against concurrent writers.

Transfers, splits, merges and recalls read a lot's state (custodian, what is left of it) and
then change it; two such writes racing on one lot must not both pass their checks. On
PostgreSQL the row is taken with ``SELECT … FOR UPDATE`` until the transaction ends. SQLite
has no row locks and drops that clause; it serialises writers on the whole database instead,
but only from a transaction's first write (the driver opens the transaction there), so a plain
read before it would check a state another writer may be changing. On SQLite the lot is
therefore "written" first (``UPDATE … SET id = id``, which changes nothing): that takes the
database's write lock, waiting for any other writer to commit, and the read that follows sees
the latest state and keeps it until this transaction ends.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, bindparam, update
from sqlmodel import Session, select

from backend.errors import InvalidInput, NotFound
from backend.i18n.messages import message
from backend.models import Lot

UNKNOWN_LOT = message("ledger.unknown_lot")


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


_LOT_TABLE = cast(Table, Lot.__table__)
#: Built once (every write to a lot runs them): ``FOR UPDATE`` on PostgreSQL, dropped by SQLite.
_LOT_FOR_UPDATE = select(Lot).where(Lot.code == bindparam("code")).with_for_update()
#: SQLite's stand-in for the row lock: a write that changes nothing takes the writer's lock.
_TAKE_SQLITE_WRITE_LOCK = (
    update(_LOT_TABLE).where(_LOT_TABLE.c.code == bindparam("lot_code")).values(id=_LOT_TABLE.c.id)
)


def _locked(session: Session, code: str) -> Lot | None:
    if session.get_bind().dialect.name == "sqlite":
        session.execute(_TAKE_SQLITE_WRITE_LOCK, {"lot_code": code})
    return session.exec(_LOT_FOR_UPDATE, params={"code": code}).first()
