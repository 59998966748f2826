"""Resolving at the GTIN level: a Digital Link naming a GTIN alone (``/01/{gtin}``), and the
walk up from a lot the ledger does not know to its GTIN (resolver standard 2.5.9).

A GTIN alone gets its product page (Vietnamese, or English by Accept-Language), its linkset or
the link its ``linkType`` asks for. A lot that is unknown (or whose GTIN is not its product's)
walks up for a program: its linkset and link types are the GTIN's. A person still gets the 404
page warning that the label may be counterfeit, with the GTIN's links in the ``Link`` header:
a label whose lot nobody recorded must not land on a page that looks like a product's.
"""

from __future__ import annotations

from fastapi.responses import Response
from sqlmodel import Session

from backend.services.catalog import gs1_prefixes
from backend.services.verification.chain_view import ChainView
from backend.web.consumer.gs1_answers import answer, linkset_answer, unknown_gtin
from backend.web.consumer.gs1_links import (
    LinkLevel,
    gtin_anchor,
    gtin_level,
    link_header,
    linkset_url,
    lot_anchor,
)
from backend.web.consumer.gtin_level import gtin_carried, known_gtin
from backend.web.consumer.page_request import PageRequest
from backend.web.consumer.unknown import unknown_answer
from backend.web.templating import render
from qr.uri import DigitalLink


def resolve_gtin(
    page: PageRequest, session: Session, view: ChainView, base_url: str, gtin: str
) -> Response:
    """``/01/{gtin}``: the product page, its linkset, or the link asked for."""
    known = known_gtin(session, view, gtin)
    own = gtin_anchor(base_url, gtin)
    if known is None:
        if page.gs1.machine or page.json:
            return unknown_gtin(gtin, base_url=base_url)
        response = unknown_answer(page, scanned=gtin)
        response.headers["Link"] = link_header((), linkset_url=None, base_url=base_url)
        return response
    levels = (gtin_level(base_url, gtin=gtin, description=known.name_vi),)
    query = page.request.url.query
    if page.gs1.machine:
        answered = answer(
            levels, page.gs1, own_anchor=own, base_url=base_url, lang=page.lang, query=query
        )
        if answered is not None:
            return answered
    elif page.json:  # a JSON reader of a GTIN gets its links (resolver 2.10 recommends it)
        return linkset_answer(levels, own_anchor=own, base_url=base_url)
    owner = gs1_prefixes.brand_owner(session, gtin)
    html = render(
        "consumer/product.html",
        product={"gtin": gtin, "name": known.name(page.lang)},
        brand_owner=owner.name if owner else None,
        linkset_url=linkset_url(own),
        **page.base_context(),
    )
    response = page.html(html, status_code=200)
    response.headers["Link"] = link_header(
        levels, linkset_url=linkset_url(own), base_url=base_url, compact=True
    )
    return response


def walk_up(
    page: PageRequest,
    session: Session,
    view: ChainView,
    base_url: str,
    link: DigitalLink,
    *,
    mismatch: bool,
) -> Response:
    """A lot the ledger does not know (or not under this GTIN): the GTIN's links for a
    program, the counterfeit warning for a person. Only a program's answer names the product
    (a verification or more); the person's page needs no more than whether the GTIN is known,
    so a flood of made-up lot codes costs one query each."""
    own = lot_anchor(base_url, lot=link.lot, gtin=link.gtin)
    levels: tuple[LinkLevel, ...] = ()
    if page.gs1.machine:
        known = known_gtin(session, view, link.gtin) if link.gtin is not None else None
        if known is None:
            return unknown_gtin(link.gtin, base_url=base_url, lot=link.lot)
        levels = (gtin_level(base_url, gtin=known.gtin, description=known.name_vi),)
        answered = answer(
            levels,
            page.gs1,
            own_anchor=own,
            base_url=base_url,
            lang=page.lang,
            query=page.request.url.query,
        )
        assert answered is not None  # the GTIN's page is never the lot URI's own
        return answered
    if link.gtin is not None and gtin_carried(session, link.gtin):
        levels = (gtin_level(base_url, gtin=link.gtin, description=None),)
    response = unknown_answer(page, scanned=link.lot, gtin_mismatch=mismatch)
    url = linkset_url(own) if levels else None
    response.headers["Link"] = link_header(
        levels, linkset_url=url, base_url=base_url, compact=not page.json
    )
    return response
