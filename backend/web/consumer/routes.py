"""The resolver routes: the URL in a label's QR code, answered with the lot's page or JSON.

Two URL forms lead here (see ``qr.uri``): the GS1 Digital Link ``/01/{gtin14}/10/{lot}
[/21/{serial}]`` and the SenTrace lot link ``/l/{lot}[/{serial}]``. The raw request path is
parsed, not Starlette's decoded one, so a percent-encoded ``/`` inside a lot code stays part of
the code. What comes back depends on the caller (see ``page_request``):

* a browser gets a small server-rendered page;
* ``Accept: application/json`` gets the same JSON as ``GET /api/v1/lots/{code}/verification``;
* ``?linkType=…``, ``?linkType=linkset`` or ``Accept: application/linkset+json`` get the GS1
  resolver's answers (``gs1_links``, ``gs1_answers``; docs/resolver.md), and ``/01/{gtin}``
  alone the product's level (``gtin_answers``). Every answer carries a ``Link`` header.

A code that does not resolve (no such lot, a malformed link, or a GTIN that is not the lot's
product) is ``unknown``: a 404 page that warns the label may be counterfeit. Verdicts are
recomputed on every request and never cached (see ``services.verification``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import NamedTuple
from urllib.parse import unquote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlmodel import Session

from backend.config import Settings
from backend.deps import RuntimeDep, request_session
from backend.http.public_reads import public_read, verdict_trusted
from backend.http.rate_limit import enforce_public_rate_limit
from backend.http.verdict_threads import run_verdict_work
from backend.runtime import Runtime
from backend.services.labels.scans import ScanSummary, save_scan
from backend.services.verification.chain_view import ChainView
from backend.services.verification.engine import verify_lineage
from backend.services.verification.lineage import Lineage, load_lineage
from backend.services.verification.proven_facts import proven_lot_facts
from backend.services.verification.proven_status import is_proven, proven_certifications
from backend.services.verification.results import Verification
from backend.web.consumer.browser_check import (
    SCRIPT_URL,
    BrowserCheck,
    browser_check,
    content_security_policy,
)
from backend.web.consumer.facts import (
    ProductAndFarm,
    load_product_and_farm,
    product_from_facts,
)
from backend.web.consumer.gs1_answers import answer, bad_link
from backend.web.consumer.gs1_links import (
    LinkLevel,
    gtin_level,
    link_header,
    linkset_url,
    lot_anchor,
    lot_level,
)
from backend.web.consumer.gs1_request import (
    BadDataAttribute,
    GtinOnly,
    check_data_attributes,
    digital_link_gtin,
    parse_target,
)
from backend.web.consumer.gtin_answers import resolve_gtin, walk_up
from backend.web.consumer.journey_entry import journey_entry
from backend.web.consumer.lot_page import build_lot_page
from backend.web.consumer.page_request import JSON_HEADERS, PageRequest
from backend.web.consumer.scans import ScanToSave, label_scans
from backend.web.consumer.unknown import unknown_answer
from backend.web.templating import render
from qr.errors import LabelError
from qr.uri import DigitalLink

router = APIRouter(tags=["consumer"], dependencies=[Depends(enforce_public_rate_limit)])


class LinkRoute(NamedTuple):
    """One URL form a label may carry, as the OpenAPI document names it."""

    path: str
    name: str
    summary: str
    description: str


#: Both forms are answered by :func:`resolve_link`; ``parse_uri`` tells them apart.
LINK_ROUTES = (
    LinkRoute(
        "/01/{rest:path}",
        "digital_link",
        "GS1 Digital Link",
        "``/01/{gtin14}/10/{lot}[/21/{serial}]``: the lot's page, or its verification JSON.",
    ),
    LinkRoute(
        "/l/{rest:path}",
        "lot_link",
        "SenTrace lot link",
        "``/l/{lot}[/{serial}]``: the lot's page, or its verification JSON.",
    ),
)


async def resolve_link(request: Request, runtime: RuntimeDep) -> Response:
    """A label's link: the lot's page, or its verification JSON."""
    return await _resolve_in_one_hop(PageRequest(request), runtime)


async def link_options() -> Response:
    """A resolver answers OPTIONS (GS1 resolver standard 2.2), a CORS preflight among them."""
    return Response(status_code=204, headers=OPTIONS_HEADERS)


#: What a label link allows, and what a script on another origin may send and read.
OPTIONS_HEADERS = {
    "Allow": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Accept-Language",
    "Access-Control-Expose-Headers": "Link, Location",
    "Access-Control-Max-Age": "86400",
}


def _add_link_routes() -> None:
    for link in LINK_ROUTES:
        router.add_api_route(
            link.path,
            resolve_link,
            methods=["GET", "HEAD"],
            response_class=HTMLResponse,
            name=link.name,
            summary=link.summary,
            description=link.description,
        )
        router.add_api_route(
            link.path,
            link_options,
            methods=["OPTIONS"],
            name=f"{link.name}_options",
            include_in_schema=False,
        )


_add_link_routes()


async def _resolve_in_one_hop(page: PageRequest, runtime: Runtime) -> Response:
    """Session, lineage, verdicts and page in one thread-pool call (see
    ``api.verification``: each plain-function dependency would cost a hop of its own)."""

    def work() -> Response:
        view = runtime.chain_view()
        node_url = runtime.chain.endpoint if runtime.chain is not None else None
        check = None if page.json else browser_check(runtime.settings, view, node_url)

        def read(session: Session) -> PageRead:
            done = PageRead()
            done.response = _resolve(page, session, runtime.settings, view, check, done)
            return done

        if runtime.replicas is None:  # reads and the scan in one transaction
            with request_session(runtime) as session:
                done = read(session)
                if done.scan is not None:
                    save_scan(session, **asdict(done.scan))
                return done.response
        done = public_read(runtime, read, trusted=lambda d: verdict_trusted(d.verification))
        if done.scan is not None:  # read on a replica, the scan is written on the primary
            with request_session(runtime) as session:
                save_scan(session, **asdict(done.scan))
        return done.response

    return await run_verdict_work(runtime, work)


@dataclass
class PageRead:
    """What reading a label's page gave: the answer, the lot's verification if one was made
    (whether a replica's page may stand), and the scan to store on the primary."""

    response: Response = field(default_factory=Response)
    verification: Verification | None = None
    scan: ScanToSave | None = None


def _resolve(
    page: PageRequest,
    session: Session,
    settings: Settings,
    view: ChainView,
    check: BrowserCheck | None = None,
    done: PageRead | None = None,
) -> Response:
    base = settings.public_base_url.rstrip("/")
    try:
        target = parse_target(page.path)
        if page.gs1.machine:
            check_data_attributes(page.request.url.query)
    except LabelError as exc:
        if page.gs1.machine:
            gtin = None if isinstance(exc, BadDataAttribute) else digital_link_gtin(page.path)
            if gtin is not None:  # valid GS1, just not a SenTrace label form: walk up
                return resolve_gtin(page, session, view, base, gtin)
            return bad_link(exc, base_url=base)
        response = unknown_answer(page, scanned=unquote(page.path))
        response.headers["Link"] = link_header((), linkset_url=None, base_url=base)
        return response
    if isinstance(target, GtinOnly):
        return resolve_gtin(page, session, view, base, target.gtin)
    link = target
    lineage = load_lineage(session, link.lot)
    if lineage is None:
        return walk_up(page, session, view, base, link, mismatch=False)
    verification = verify_lineage(lineage, view)
    if done is not None:
        done.verification = verification
    product = _product(session, lineage, verification)
    if link.gtin is not None and (product is None or product.gtin != link.gtin):
        # A Digital Link's GTIN must be the lot's product's (the /l/ form carries none).
        return walk_up(page, session, view, base, link, mismatch=True)
    levels = _levels(base, link, product, verification)
    own = lot_anchor(base, lot=link.lot, gtin=link.gtin)
    if page.gs1.machine:
        query = page.request.url.query
        answered = answer(
            levels, page.gs1, own_anchor=own, base_url=base, lang=page.lang, query=query
        )
        if answered is not None:
            return answered
    scan, to_save = label_scans(page, session, settings, lineage, link)
    response = (
        JSONResponse(verification.as_json(), headers=JSON_HEADERS)
        if page.json
        else _lot_page(page, session, settings, lineage, verification, product, scan, check)
    )
    response.headers["Link"] = link_header(
        levels, linkset_url=linkset_url(own), base_url=base, compact=not page.json
    )
    if to_save is not None:
        if done is not None:
            done.scan = to_save
        else:
            save_scan(session, **asdict(to_save))
    return response


def _levels(
    base: str, link: DigitalLink, product: ProductAndFarm | None, verification: Verification
) -> tuple[LinkLevel, ...]:
    """The lot's level and, for a product with a GTIN, the GTIN's level above it; what they
    state of the product (its name) only once the lot's documents are proven."""
    name = product.name_vi if product is not None and is_proven(verification) else None
    gtin = product.gtin if product is not None else None
    lot = lot_level(
        base,
        lot=link.lot,
        anchor_gtin=link.gtin,
        gtin=gtin,
        certified=bool(proven_certifications(verification)),
        description=name,
    )
    if gtin is None:
        return (lot,)
    return (lot, gtin_level(base, gtin=gtin, description=name))


def _product(
    session: Session, lineage: Lineage, verification: Verification
) -> ProductAndFarm | None:
    """The lot's product as its verified first document states it (rules v2), so a GTIN
    edited in the product row neither takes a label in nor turns one away; the row for v1."""
    facts = proven_lot_facts(verification)
    if facts is not None:
        return product_from_facts(facts)
    return load_product_and_farm(session, lineage)


def _lot_page(
    page: PageRequest,
    session: Session,
    settings: Settings,
    lineage: Lineage,
    verification: Verification,
    product: ProductAndFarm | None,
    scan: ScanSummary | None,
    check: BrowserCheck | None,
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
    check_config = check and check.page_config(
        code=lineage.record.lot.code, server_verdict=view_model.verdict, t=page.t
    )
    html = render(
        "consumer/lot.html",
        page=view_model,
        journey_entry=journey_entry,
        browser_check=check_config,
        browser_check_script=SCRIPT_URL,
        **page.base_context(),
    )
    return page.html(html, status_code=200, csp=content_security_policy(page.csp, check))
