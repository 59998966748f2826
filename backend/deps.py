"""FastAPI dependencies as ``Annotated`` aliases, so routers read like their signatures."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from backend.config import Settings
from backend.errors import ServiceUnavailable
from backend.i18n.messages import message
from backend.runtime import Runtime


# Coroutines on purpose: FastAPI runs a plain ``def`` dependency in the thread pool, and a
# thread hop costs more than these attribute reads (they run on nearly every request).
async def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


async def get_settings_dep(runtime: Annotated[Runtime, Depends(get_runtime)]) -> Settings:
    return runtime.settings


def get_session(runtime: Annotated[Runtime, Depends(get_runtime)]) -> Iterator[Session]:
    """A session per request; commits when the handler returns, rolls back on error."""
    with request_session(runtime) as session:
        yield session


@contextmanager
def request_session(runtime: Runtime) -> Iterator[Session]:
    """The session of one request, for handlers that open it inside their own thread hop.

    Commits when the block ends, rolls back on error, and turns a lost database into a 503.
    """
    with Session(runtime.engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            raise ServiceUnavailable(message("errors.database_down")) from exc
        except BaseException:
            session.rollback()
            raise


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
#: ``scope="function"``: the session commits when the handler returns, *before* the answer is
#: sent. With FastAPI's default (``"request"``) the commit would run after the client had its
#: answer: a client acting on it at once (a sign-in, then the next page) could miss what it had
#: just been told exists, and a commit that failed would follow an answer of success.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
