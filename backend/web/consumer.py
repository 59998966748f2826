"""The consumer side: the URL in a label's QR code, resolved to the lot's verification page.

Two URL forms lead here (see ``qr.uri``): the GS1 Digital Link ``/01/{gtin14}/10/{lot}
[/21/{serial}]`` and the SenTrace lot link ``/l/{lot}[/{serial}]``. The raw request path is
parsed, not Starlette's decoded one, so a percent-encoded ``/`` inside a lot code stays part of
the code. What comes back depends on the caller:

* a browser gets a small server-rendered page (Vietnamese unless ``?lang=en`` or the
  Accept-Language header asks for English), with the CSS inlined so one request is enough
  on a slow phone connection;
* ``Accept: application/json`` or ``?linkType=gs1:traceability`` gets the same JSON as
  ``GET /api/v1/lots/{code}/verification``.

A code that does not resolve (no such lot, a malformed link, or a GTIN that is not the lot's
product) is ``unknown``: a 404 page that warns the label may be counterfeit. Verdicts are
recomputed on every request and never cached (see ``services.verification``); the page sends
``no-store`` so no proxy or browser cache can show a stale verdict either.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from markupsafe import Markup
from sqlmodel import Session

from backend.config import Settings
from backend.deps import RuntimeDep, request_session
from backend.http.not_found import unknown_lot
from backend.http.rate_limit import enforce_public_rate_limit
from backend.http.verdict_threads import run_verdict_work
from backend.i18n import LANGUAGES, negotiate_language, translator
from backend.runtime import Runtime
from backend.services.accounts.server_secret import resolve_secret
from backend.services.labels.scans import (
    ClientKind,
    ScanSummary,
    classify_user_agent,
    client_digest,
    digest_key,
    is_automated,
    save_scan,
    summarize_scans,
)
from backend.services.verification.chain_view import ChainView
from backend.services.verification.engine import Verification, verify_lineage
from backend.services.verification.lineage import Lineage, load_lineage
from backend.timeutil import utcnow
from backend.web.consumer_view import ProductAndFarm, build_lot_page, load_product_and_farm
from backend.web.sessions import COOKIE_NAME, codec_for
from backend.web.templating import render
from qr.errors import LabelError
from qr.uri import DigitalLink, parse_uri

router = APIRouter(tags=["consumer"], dependencies=[Depends(enforce_public_rate_limit)])

STYLESHEET = (Path(__file__).parent / "static" / "consumer.css").read_text(encoding="utf-8")
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

#: GS1 Digital Link link types that ask for the traceability record rather than a page.
TRACEABILITY_LINK_TYPES = frozenset({"gs1:traceability", "https://gs1.org/voc/traceability"})
_JSON_TYPES = ("application/json",)
_HTML_TYPES = ("text/html", "application/xhtml+xml")


def weighted(header: str | None) -> Iterator[tuple[str, float]]:
    """``(value, q)`` pairs of an Accept-style header, values lower-cased, bad q read as 0."""
    for part in (header or "").split(","):
        value, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, number = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(number)
                except ValueError:
                    quality = 0.0
        if value.strip():
            yield value.strip().lower(), quality


def wants_json(accept: str | None, link_type: str | None) -> bool:
    """JSON when the link type asks for traceability data or Accept prefers JSON to HTML."""
    if link_type in TRACEABILITY_LINK_TYPES:
        return True
    json_q = html_q = 0.0
    for media, quality in weighted(accept):
        if media in _JSON_TYPES:
            json_q = max(json_q, quality)
        elif media in _HTML_TYPES:
            html_q = max(html_q, quality)
    return json_q > 0 and json_q > html_q


class PageRequest:
    """What one request asks for: language, format, and whether it counts as a scan."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.lang = negotiate_language(
            request.query_params.get("lang"), request.headers.get("accept-language")
        )
        self.other_lang = next(code for code in LANGUAGES if code != self.lang)
        self.t = translator(self.lang)
        self.json = wants_json(request.headers.get("accept"), request.query_params.get("linkType"))
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

    def html(self, text: str, *, status_code: int) -> HTMLResponse:
        """A page response in this request's language, gzipped when the client takes it."""
        headers = {**PAGE_HEADERS, "Content-Language": self.lang}
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
        return codec_for(self.request).load(self.request).user_id is not None

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


@router.api_route(
    "/01/{rest:path}",
    methods=["GET", "HEAD"],
    response_class=HTMLResponse,
    summary="GS1 Digital Link",
)
async def digital_link(request: Request, runtime: RuntimeDep) -> Response:
    """``/01/{gtin14}/10/{lot}[/21/{serial}]``: the lot's page, or its verification JSON."""
    return await _resolve_in_one_hop(PageRequest(request), runtime)


@router.api_route(
    "/l/{rest:path}",
    methods=["GET", "HEAD"],
    response_class=HTMLResponse,
    summary="SenTrace lot link",
)
async def lot_link(request: Request, runtime: RuntimeDep) -> Response:
    """``/l/{lot}[/{serial}]``: the lot's page, or its verification JSON."""
    return await _resolve_in_one_hop(PageRequest(request), runtime)


async def _resolve_in_one_hop(page: PageRequest, runtime: Runtime) -> Response:
    """Session, lineage, verdicts and page in one thread-pool call (see
    ``api.verification``: each plain-function dependency would cost a hop of its own)."""

    def work() -> Response:
        with request_session(runtime) as session:
            return _resolve(page, session, runtime.settings, runtime.chain_view())

    return await run_verdict_work(runtime, work)


def _resolve(page: PageRequest, session: Session, settings: Settings, view: ChainView) -> Response:
    try:
        link = parse_uri(page.path)
    except LabelError:
        return _unknown(page, scanned=unquote(page.path))
    lineage = load_lineage(session, link.lot)
    if lineage is None:
        return _unknown(page, scanned=link.lot)
    product = load_product_and_farm(session, lineage)
    if link.gtin is not None and (product is None or product.gtin != link.gtin):
        # A Digital Link's GTIN must be the lot's product's (the /l/ form carries none).
        return _unknown(page, scanned=link.lot, gtin_mismatch=True)
    verification = verify_lineage(lineage, view)
    scan, to_save = _scan(page, session, settings, lineage, link)
    response = (
        JSONResponse(verification.as_json(), headers=JSON_HEADERS)
        if page.json
        else _lot_page(page, session, settings, lineage, verification, product, scan)
    )
    if to_save is not None:
        save_scan(session, **asdict(to_save))
    return response


def _lot_page(
    page: PageRequest,
    session: Session,
    settings: Settings,
    lineage: Lineage,
    verification: Verification,
    product: ProductAndFarm | None,
    scan: ScanSummary | None,
) -> HTMLResponse:
    view_model = build_lot_page(
        session,
        lineage=lineage,
        verification=verification,
        product=product,
        settings=settings,
        lang=page.lang,
        t=page.t,
        scan=scan,
    )
    html = render("consumer/lot.html", page=view_model, **page.base_context())
    return page.html(html, status_code=200)


@dataclass(frozen=True)
class _ScanToSave:
    lot_id: int
    serial: str
    client_kind: ClientKind
    client_digest: str
    at: datetime


def _scan(
    page: PageRequest,
    session: Session,
    settings: Settings,
    lineage: Lineage,
    link: DigitalLink,
) -> tuple[ScanSummary | None, _ScanToSave | None]:
    """The serial's scans so far, counting this one, and the scan to store (if it is one)."""
    if link.serial is None:
        return None, None
    lot_id = lineage.record.lot.id
    assert lot_id is not None
    summary = summarize_scans(
        session, lot_id=lot_id, serial=link.serial, threshold=settings.scan_warn_threshold
    )
    if not page.counts_as_scan():
        return summary, None
    client = page.request.client
    scan = _ScanToSave(
        lot_id=lot_id,
        serial=link.serial,
        client_kind=classify_user_agent(page.request.headers.get("user-agent")),
        client_digest=client_digest(client.host if client else None, key=_digest_key(page)),
        at=utcnow(),
    )
    return summary.including(scan.at), scan


def _digest_key(page: PageRequest) -> bytes:
    state = page.request.app.state
    key: bytes | None = getattr(state, "scan_digest_key", None)
    if key is None:
        key = digest_key(resolve_secret(state.runtime.settings))
        state.scan_digest_key = key
    return key


def _unknown(page: PageRequest, *, scanned: str, gtin_mismatch: bool = False) -> Response:
    """The ``unknown`` answer: a 404 page warning of a counterfeit label, or the JSON 404."""
    if page.json:
        response = unknown_lot(scanned)
        response.headers["Vary"] = "Accept"
        return response
    html = render(
        "consumer/not_found.html",
        scanned_code=scanned,
        gtin_mismatch=gtin_mismatch,
        **page.base_context(),
    )
    return page.html(html, status_code=404)
