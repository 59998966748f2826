"""One consumer request: its language, its format, whether it counts as a scan, and the
headers every page goes out with.

A browser gets a small server-rendered page (Vietnamese unless ``?lang=en`` or the
Accept-Language header asks for English), with the CSS inlined so one request is enough on a
slow phone connection. The page sends ``no-store`` so no proxy or browser cache can show a
stale verdict.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from backend.i18n import LANGUAGES, negotiate_language, translator
from backend.services.labels.scans import is_automated
from backend.web.consumer.gs1_request import resolver_ask
from backend.web.consumer.negotiation import wants_json, weighted
from backend.web.sessions import COOKIE_NAME, codec_for

STYLESHEET = (Path(__file__).parents[1] / "static" / "consumer.css").read_text(encoding="utf-8")
_STYLE_HASH = base64.b64encode(hashlib.sha256(STYLESHEET.encode("utf-8")).digest()).decode()
#: Nothing may load or run on the page except its own inline stylesheet: even if some text
#: escaped the template's autoescaping, a browser would refuse to run it.
CONTENT_SECURITY_POLICY = (
    f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Vary": "Accept, Accept-Language, Accept-Encoding",
}
#: gzip level for pages: the page shrinks about 4x (17 KiB to 4 KiB for a 20-event lot), which
#: is what a phone on a weak 3G link feels; levels above this buy almost nothing.
GZIP_LEVEL = 5
JSON_HEADERS = {"Cache-Control": "no-store", "Vary": "Accept"}


class PageRequest:
    """What one request asks for: language, format, and whether it counts as a scan."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.lang = negotiate_language(
            request.query_params.get("lang"), request.headers.get("accept-language")
        )
        self.other_lang = next(code for code in LANGUAGES if code != self.lang)
        self.t = translator(self.lang)
        accept = request.headers.get("accept")
        self.json = wants_json(accept)
        self.gs1 = resolver_ask(request.query_params.get("linkType"), accept)
        self.path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path

    def base_context(self) -> dict[str, object]:
        return {
            "t": self.t,
            "lang": self.lang,
            "other_lang": self.other_lang,
            "switch_url": f"{self.path}?lang={self.other_lang}",
            "inline_css": Markup(STYLESHEET),  # noqa: S704 (our own file, not user input)
        }

    def accepts_gzip(self) -> bool:
        codings = dict(weighted(self.request.headers.get("accept-encoding")))
        return codings.get("gzip", 0.0) > 0

    #: The policy every consumer page starts from; a page that runs a script widens it.
    csp = CONTENT_SECURITY_POLICY

    def html(self, text: str, *, status_code: int, csp: str | None = None) -> HTMLResponse:
        """A page response in this request's language, gzipped when the client takes it;
        ``csp`` replaces the strict policy for a page that runs the browser check."""
        headers = {**PAGE_HEADERS, "Content-Language": self.lang}
        if csp is not None:
            headers["Content-Security-Policy"] = csp
        body = text.encode("utf-8")
        if self.accepts_gzip():
            body = gzip.compress(body, GZIP_LEVEL)
            headers["Content-Encoding"] = "gzip"
        return HTMLResponse(body, status_code=status_code, headers=headers)

    def is_operator(self) -> bool:
        """Requests from the operator app (API key or signed-in session) are not scans."""
        if self.request.headers.get("authorization"):
            return True
        if COOKIE_NAME not in self.request.cookies:
            return False
        return codec_for(self.request).load(self.request).token is not None

    def counts_as_scan(self) -> bool:
        """A person opening the link: not a HEAD probe, prefetch, crawler or the operator app."""
        if self.request.method != "GET":
            return False
        headers = self.request.headers
        purpose = (headers.get("sec-purpose") or headers.get("purpose") or "").lower()
        if "prefetch" in purpose or "prerender" in purpose:
            return False
        if is_automated(headers.get("user-agent")):
            return False
        return not self.is_operator()
