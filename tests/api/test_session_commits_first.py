"""A request's session commits before its answer leaves: whoever acts on the answer at once
(the page after a sign-in) finds what it was told exists, and a failed commit is never
preceded by an answer of success."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select
from starlette.types import Message, Receive, Scope, Send

from backend.app import create_app
from backend.deps import SessionDep
from backend.models import Organisation, OrgRole
from backend.runtime import Runtime


def test_what_a_handler_wrote_is_committed_when_its_answer_starts(runtime: Runtime) -> None:
    app = create_app(runtime)

    @app.post("/_probe/write")
    def write(session: SessionDep) -> dict[str, str]:
        session.add(Organisation(slug="probe-commit", name="Probe", role=OrgRole.PACKER))
        return {"written": "probe-commit"}

    seen: list[int] = []

    def committed_rows() -> int:
        with Session(runtime.engine) as other:  # another connection sees committed rows only
            query = select(Organisation).where(Organisation.slug == "probe-commit")
            return len(other.exec(query).all())

    async def watching(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_watched(message: Message) -> None:
            if message["type"] == "http.response.start" and scope["path"] == "/_probe/write":
                seen.append(committed_rows())
            await send(message)

        await app(scope, receive, send_watched)

    client: Any
    with TestClient(watching) as client:
        assert client.post("/_probe/write").status_code == 200
    assert seen == [1]
