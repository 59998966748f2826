"""The route class every operator page uses: session in, CSRF check, HTML errors, cookie out.

Doing this in one route class rather than in each handler means no page can forget it: a POST
without the session's CSRF token never reaches a handler, a page that needs a signed-in user
sends a visitor to the sign-in form, and a domain error becomes a page in the user's language
instead of the API's JSON. Security headers suit pages that show private records: no caching,
no framing, and a CSP that allows nothing from outside this server.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute

from backend.errors import NotFound, PermissionDenied
from backend.i18n import LANGUAGES, negotiate_language, translator
from backend.web.sessions import CSRF_FIELD, WebSession, codec_for
from backend.web.templating import render

logger = logging.getLogger(__name__)

LOGIN_PATH = "/app/login"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


class LoginRequired(Exception):
    """Raised by the operator dependency when the visitor is not (or no longer) signed in."""


def choose_language(request: Request, web_session: WebSession) -> str:
    """``?lang=`` (remembered in the session), then the session's choice, then the browser's."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        web_session.set_lang(asked)
        return asked
    if web_session.lang in LANGUAGES:
        return web_session.lang
    return negotiate_language(None, request.headers.get("accept-language"))


def safe_next(target: str | None) -> str:
    """A post-login destination that stays inside the app (no open redirect)."""
    if target and target.startswith("/app") and not target.startswith("//"):
        return target
    return "/app/"


def login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    if request.method not in SAFE_METHODS:
        target = "/app/"
    return RedirectResponse(f"{LOGIN_PATH}?next={quote(target, safe='/')}", status_code=303)


def error_page(request: Request, status_code: int, reason_key: str) -> HTMLResponse:
    """A small page in the user's language for 403, 404 and friends."""
    lang: str = getattr(request.state, "lang", "vi")
    operator = getattr(request.state, "operator", None)
    web_session: WebSession = request.state.web_session
    html = render(
        "app/error.html",
        t=translator(lang),
        lang=lang,
        other_lang="en" if lang == "vi" else "vi",
        operator=operator,
        csrf_token=web_session.csrf_token,
        nav=[],
        path=request.url.path,
        notice=None,
        status_code=status_code,
        reason_key=reason_key,
    )
    return HTMLResponse(html, status_code=status_code)


async def _csrf_passes(request: Request, web_session: WebSession) -> bool:
    if request.method in SAFE_METHODS:
        return True
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return False
    form = await request.form()
    submitted = form.get(CSRF_FIELD)
    return isinstance(submitted, str) and web_session.csrf_ok(submitted)


class OperatorRoute(APIRoute):
    """An ``APIRoute`` that wraps its handler with the session, CSRF and error handling."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()

        async def handler(request: Request) -> Response:
            codec = codec_for(request)
            web_session = codec.load(request)
            request.state.web_session = web_session
            request.state.lang = choose_language(request, web_session)
            if not await _csrf_passes(request, web_session):
                logger.warning("refused a form post without a valid CSRF token: %s", request.url)
                response: Response = error_page(request, 403, "csrf")
            else:
                try:
                    response = await inner(request)
                except LoginRequired:
                    response = login_redirect(request)
                except PermissionDenied:
                    response = error_page(request, 403, "forbidden")
                except NotFound:
                    response = error_page(request, 404, "not_found")
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            if web_session.dirty:
                codec.write(request, response, web_session)
            return response

        return handler
