"""ASGI middleware: request body size and nesting limits, and request ids.

**Body limit.** A body over ``SENTRACE_MAX_BODY_BYTES`` gets 413 in the API's JSON error shape
before any handler sees it. A declared ``Content-Length`` over the limit is refused without
reading anything; otherwise the body is read as it streams (chunked uploads declare no length)
and refused the moment the running total passes the limit. What was read is then handed to the
application unchanged. Buffering is fine here: handlers read the whole JSON body anyway and the
limit caps it. A route whose bodies are legitimately larger (the event batch upload) declares a
limit of its own for its exact path; such a limit only ever raises the global one.

**Nesting limit and encoding.** A JSON body (or one without a content type, which FastAPI
also parses as JSON) that is not UTF-8 (RFC 8259) or nests deeper than ``MAX_JSON_DEPTH``
gets 422 before anything parses it (see :mod:`backend.json_depth` for why a deep body could
otherwise kill the process). No request the API accepts comes near the limit. Bodies of other
media types pass untouched: whatever reads them as JSON uses ``loads_bounded``.

**EPCIS versions.** Every answer on the EPCIS paths (``/epcis…`` and a lot's
``/api/v1/lots/{code}/epcis``) carries ``GS1-EPCIS-Version`` and ``GS1-CBV-Version``, refusals
included: the REST binding asks for them on every response, and a 401 or 422 is raised far from
the routes that set them.

**Request id.** Each response carries ``X-Request-ID`` (the caller's, if it sent a sane one, else
a fresh one), and the id is put on ``scope["state"]`` so log lines can name the request.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.api.errors import error_body
from backend.errors import InvalidInput, PayloadTooLarge
from backend.i18n.messages import message
from backend.json_depth import MAX_JSON_DEPTH, json_too_deep
from backend.services.interop.epcis.http_headers import VERSION_HEADERS

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_EPCIS_PATH = re.compile(r"/epcis(/.*)?|/api/v1/lots/[^/]+/epcis")

TOO_DEEP = message("errors.body.too_deep", most=MAX_JSON_DEPTH)
NOT_UTF8 = message("errors.body.not_utf8")


def json_body_problem(body: bytes) -> str | None:
    """Why a JSON body is refused before parsing (not UTF-8, too deep), or None."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return NOT_UTF8
    return TOO_DEEP if json_too_deep(body) else None


def _parsed_as_json(scope: Scope) -> bool:
    """FastAPI parses a body as JSON when its type is ``*/json``, ``*/*+json`` or missing."""
    content_type = Headers(scope=scope).get("content-type")
    if content_type is None:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media.endswith("/json") or media.endswith("+json")


def too_large_message(limit: int) -> str:
    return message("errors.body.too_large", limit=limit)


class BodySizeLimit:
    """Refuse request bodies larger than ``max_bytes`` with a 413 JSON error.

    ``path_limits`` maps exact route paths to a larger limit of their own.
    """

    def __init__(
        self, app: ASGIApp, *, max_bytes: int, path_limits: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.path_limits = {p: max(n, max_bytes) for p, n in (path_limits or {}).items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.path_limits.get(_route_path(scope), self.max_bytes)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(scope, receive, send, limit)
            return
        chunks: list[bytes] = []
        total = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            total += len(chunk)
            if total > limit:
                await self._refuse(scope, receive, send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        problem = json_body_problem(body) if _parsed_as_json(scope) else None
        if problem is not None:
            response = JSONResponse(error_body(InvalidInput(problem)), status_code=422)
            await response(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        error = PayloadTooLarge(too_large_message(limit))
        response = JSONResponse(error_body(error), status_code=413, headers={"Connection": "close"})
        await response(scope, receive, send)


def _route_path(scope: Scope) -> str:
    """The path the router matches: without the ``root_path`` a proxy may have prefixed."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that yields the buffered body once, then defers to the real one."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


class RequestId:
    """Give every request an id, echo it in ``X-Request-ID``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get(REQUEST_ID_HEADER.lower())
        request_id = given if given and _SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)


class EpcisVersions:
    """Put the EPCIS and CBV versions on every answer of an EPCIS path, errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = _route_path(scope) if scope["type"] == "http" else ""
        if not _EPCIS_PATH.fullmatch(path):
            await self.app(scope, receive, send)
            return

        async def send_with_versions(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in VERSION_HEADERS.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_versions)


def install_middleware(
    app: FastAPI, *, max_body_bytes: int, path_limits: Mapping[str, int] | None = None
) -> None:
    """Add the middleware in order: request id outermost, so even a 413 carries an id and, on
    an EPCIS path, the versions."""
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes, path_limits=path_limits)
    app.add_middleware(EpcisVersions)
    app.add_middleware(RequestId)
