"""Running a write: idempotency replay, explicit commit, and the JSON answer.

Every write endpoint hands its service call to :meth:`Write.run`. Without an
``Idempotency-Key`` header it runs the call, commits and answers. With one it first looks for a
stored answer to replay (``Idempotent-Replayed: true``); otherwise it runs the call, stores the
answer in the same transaction and commits. If a concurrent request with the same key commits
first, our commit fails on the unique key, and we replay that request's answer instead.

Database errors raised while the action flushes are translated as well as those at commit: a
unique constraint lost to a concurrent writer is a 409, a lost connection a 503, never a 500.

Every write runs under the signing protocol (``services.signing.protocol``): a write that records
statements for an organisation that holds its own keys is answered 428 with a draft to sign the
first time, and applied when the same request comes back with ``X-SenTrace-Draft`` and
``X-SenTrace-Signatures``. A 428 (or a 409 with a fresh draft) is raised before anything is
remembered, so it is never stored as an idempotent answer: resending with the same key and the
signatures runs the write, and that answer is the one replayed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from backend.api.auth import authenticate
from backend.deps import request_session
from backend.errors import Conflict
from backend.http import idempotency
from backend.http.signed_writes import chain_facts
from backend.http.writer_lane import run_write_work
from backend.models import IdempotencyRecord, Organisation
from backend.runtime import Runtime
from backend.services.signing import (
    DRAFT_HEADER,
    SIGNATURES_HEADER,
    ChainFacts,
    SignedRequest,
    run_signed,
    signed_request,
)
from backend.services.transactions import translated_db_errors

REPLAYED_HEADER = "Idempotent-Replayed"
Body = TypeVar("Body", bound=BaseModel)


@dataclass
class Write:
    """One write request: who, in which session, its idempotency key if any, and what it
    brought for signing (``signed``; ``chain`` is what statements are signed for)."""

    session: Session
    org: Organisation
    key: str | None
    fingerprint: str
    signed: SignedRequest | None = None
    chain: ChainFacts | None = None
    idempotency_ttl: timedelta = timedelta(hours=72)

    def run(
        self,
        action: Callable[[], BaseModel],
        *,
        status_code: int = 201,
        secret_fields: Sequence[str] = (),
    ) -> JSONResponse:
        """Run ``action`` once per key, commit, and answer with its result as JSON.

        ``secret_fields`` name fields of the answer shown only in this first response: a
        replay gets them as ``null`` with a notice, and they are never stored.
        """
        if self.key is not None:
            stored = self._stored()
            if stored is not None:
                return _replay(stored)
        try:
            with translated_db_errors(self.session):
                # What jsonable_encoder does for a model, without walking the result again.
                body = self._signed(action).model_dump(mode="json", by_alias=True)
                if self.key is not None:
                    idempotency.remember(
                        self.session,
                        org=self.org,
                        key=self.key,
                        request_fingerprint=self.fingerprint,
                        status_code=status_code,
                        body=body,
                        secret_fields=secret_fields,
                    )
                self.session.commit()
        except Conflict:
            # Lost a race: a concurrent request with our key may have won; answer as it did.
            self.session.rollback()
            stored = self._stored() if self.key is not None else None
            if stored is None:
                raise
            return _replay(stored)
        return JSONResponse(body, status_code=status_code, headers=_headers(self.key, False))

    def _signed(self, action: Callable[[], BaseModel]) -> BaseModel:
        """``action`` under the signing protocol (428 with a draft, or the draft applied)."""
        if self.signed is None or self.chain is None:
            return action()
        return run_signed(
            self.session, org=self.org, request=self.signed, chain=self.chain, write=action
        )

    def _stored(self) -> IdempotencyRecord | None:
        assert self.key is not None
        return idempotency.find_replay(
            self.session,
            org=self.org,
            key=self.key,
            request_fingerprint=self.fingerprint,
            ttl=self.idempotency_ttl,
        )


def _replay(record: IdempotencyRecord) -> JSONResponse:
    return JSONResponse(
        record.response_body, status_code=record.status_code, headers=_headers("", True)
    )


def _headers(key: str | None, replayed: bool) -> dict[str, str]:
    if key is None:
        return {}
    return {REPLAYED_HEADER: "true" if replayed else "false"}


def idempotency_key(request: Request) -> str | None:
    """The request's ``Idempotency-Key``, checked (422 naming the header), or None."""
    header: Any = request.headers.get(idempotency.HEADER)
    return None if header is None else idempotency.check_key(header)


def new_write(
    request: Request, session: Session, org: Organisation, key: str | None, body: bytes
) -> Write:
    """The :class:`Write` of a request whose key is checked and whose raw body is read (the
    fingerprint names the request for its idempotency key and for its signing draft)."""
    fingerprint = idempotency.fingerprint(request.method, request.url.path, body)
    signed = signed_request(
        fingerprint, request.headers.get(DRAFT_HEADER), request.headers.get(SIGNATURES_HEADER)
    )
    runtime = request.app.state.runtime
    return Write(
        session=session,
        org=org,
        key=key,
        fingerprint=fingerprint,
        signed=signed,
        chain=chain_facts(runtime),
        idempotency_ttl=timedelta(hours=runtime.settings.idempotency_ttl_h),
    )


# ------------------------------------------------------------------- one-hop writes


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` documenting a JSON body that the handler parses itself."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


def parse_body(model: type[Body], raw: bytes) -> Body:
    """``raw`` validated as ``model``; errors exactly as FastAPI reports a body it parsed."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        errors = [
            {**error, "loc": ("body", *error["loc"])}
            for error in exc.errors(include_url=False, include_context=False)
        ]
        raise RequestValidationError(errors) from None


async def run_write_in_one_hop(
    request: Request,
    runtime: Runtime,
    action: Callable[[Session, Organisation, bytes], BaseModel],
    *,
    status_code: int = 201,
) -> JSONResponse:
    """Authenticate, run ``action`` and commit in ONE thread-pool call (on SQLite, in the
    process's writer lane: :mod:`backend.http.writer_lane`).

    The dependency route (session, API key, :class:`Write`, handler) costs four hops between
    the event loop and the thread pool per request, more CPU than the write itself on the
    busiest endpoint (adding an event). Here the raw body is read on the loop and everything
    else happens in one worker thread, in the same order the dependencies would run it:
    authentication first (a request without a valid key is a 401 whatever its body), then
    the idempotency replay, then ``action(session, org, raw_body)``, which parses its body
    with :func:`parse_body`.
    """
    raw = await request.body()

    def work() -> JSONResponse:
        with request_session(runtime) as session:
            org = authenticate(request, session, runtime.settings)
            write = new_write(request, session, org, idempotency_key(request), raw)
            return write.run(lambda: action(session, org, raw), status_code=status_code)

    return await run_write_work(runtime, work)
