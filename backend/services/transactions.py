"""Committing a write and naming its failures in ledger terms.

Writes commit explicitly, before the response is built, rather than in the request session's
clean-up: FastAPI runs that clean-up after the response has gone out, so a failed commit there
would tell the client "201" for something that was never stored. Here a lost database becomes
:class:`ServiceUnavailable` (503, retry later) and a unique constraint lost to a concurrent
writer becomes :class:`Conflict` (409), both after a rollback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlmodel import Session

from backend.errors import Conflict, ServiceUnavailable
from backend.i18n.messages import message

logger = logging.getLogger(__name__)

DATABASE_DOWN = message("errors.database_down")
DUPLICATE = message("errors.duplicate")


@contextmanager
def translated_db_errors(session: Session) -> Iterator[None]:
    """Run a block of database work; map driver errors to domain errors after a rollback."""
    try:
        yield
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(DUPLICATE) from exc
    except OperationalError as exc:
        session.rollback()
        logger.warning("database unavailable: %s", exc.__class__.__name__)
        raise ServiceUnavailable(DATABASE_DOWN) from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            session.rollback()
            raise ServiceUnavailable(DATABASE_DOWN) from exc
        raise


def commit(session: Session) -> None:
    """Commit now; see the module docstring for how failures are reported."""
    with translated_db_errors(session):
        session.commit()
