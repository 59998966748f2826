"""The GS1 resolver's machine answers: the linkset, a 307 to the chosen link, and the errors.

Resolver standard behaviour kept here (see docs/resolver.md):

* ``linkType=linkset`` (or ``all``) or ``Accept: application/linkset+json`` → 200, the RFC 9264
  linkset, with a ``Link`` header naming GS1's JSON-LD context for it;
* a link type the code has → 307 to that link, in the reader's language, with the request's
  query string passed on (less ``linkType``); a link that is the page at the request's own URI
  is answered in place by the caller instead (a redirect would come back to itself);
* a link type the code does not have → 404 listing the links it does have (2.6.2);
* a request that is not a valid GS1 Digital Link → 400 naming what is wrong (2.4.1);
* a valid Digital Link of a GTIN nobody carries → 404 (2.4.1).

Every answer carries a ``Link`` header and may be read cross-origin.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi.responses import JSONResponse, Response

from backend.i18n.messages import message
from backend.web.consumer.gs1_links import (
    LINKSET_CONTEXT,
    LINKSET_MEDIA_TYPE,
    Link,
    LinkLevel,
    link_header,
    linkset,
    linkset_url,
    select,
)
from backend.web.consumer.gs1_request import BadDataAttribute, ResolverAsk, passed_on_query
from qr.errors import LabelError

MACHINE_HEADERS = {
    "Cache-Control": "no-store",
    "Vary": "Accept, Accept-Language",
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "Link, Location",
}
_CONTEXT_LINK = (
    f'<{LINKSET_CONTEXT}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
)


def headers_for(
    levels: Sequence[LinkLevel], own_anchor: str | None, base_url: str
) -> dict[str, str]:
    """The machine headers with the ``Link`` header of ``levels``."""
    url = linkset_url(own_anchor) if own_anchor is not None and levels else None
    return {**MACHINE_HEADERS, "Link": link_header(levels, linkset_url=url, base_url=base_url)}


def answer(
    levels: Sequence[LinkLevel],
    ask: ResolverAsk,
    *,
    own_anchor: str,
    base_url: str,
    lang: str,
    query: str,
) -> Response | None:
    """The answer to a resolver request; None when the chosen link is the page at the
    request's own URI, which the caller then renders."""
    headers = headers_for(levels, own_anchor, base_url)
    if ask.linkset:
        return _linkset_response(levels, headers)
    assert ask.link_type is not None
    chosen = select(levels, ask.link_type, lang)
    if chosen is None:
        return _json(_no_such_link(levels, ask), 404, headers)
    if _is_own_page(chosen, own_anchor):
        return None
    return _redirect(chosen, passed_on_query(query), headers)


def linkset_answer(levels: Sequence[LinkLevel], *, own_anchor: str, base_url: str) -> Response:
    """200: the linkset of ``levels``."""
    return _linkset_response(levels, headers_for(levels, own_anchor, base_url))


def bad_link(exc: LabelError, *, base_url: str) -> JSONResponse:
    """400: the request is not a valid GS1 Digital Link (or a data attribute is wrong)."""
    if isinstance(exc, BadDataAttribute):
        key, field = "resolver.bad_attribute", exc.ai
    else:
        key, field = "resolver.bad_link", "path"
    body = {"detail": message(key), "code": "invalid_input", "field": field, "reason": str(exc)}
    return _json(body, 400, headers_for((), None, base_url))


def unknown_gtin(gtin: str | None, *, base_url: str, lot: str | None = None) -> JSONResponse:
    """404: a valid Digital Link whose lot is unknown and whose GTIN no product carries (or
    that has none to walk up to)."""
    body: dict[str, Any] = {
        "detail": message("resolver.unknown_gtin" if lot is None else "resolver.unknown_lot"),
        "code": "not_found",
        "field": "gtin" if lot is None else "lot",
        "gtin": gtin,
    }
    if lot is not None:
        body["lot"] = lot
    return _json(body, 404, headers_for((), None, base_url))


def _is_own_page(link: Link, own_anchor: str) -> bool:
    return link.media_type == "text/html" and link.href.partition("?")[0] == own_anchor


def _no_such_link(levels: Sequence[LinkLevel], ask: ResolverAsk) -> dict[str, Any]:
    return {
        "detail": message("resolver.unknown_link_type"),
        "code": "not_found",
        "field": "linkType",
        "linkType": ask.raw_link_type,
        **linkset(levels),
    }


def _linkset_response(levels: Sequence[LinkLevel], headers: dict[str, str]) -> Response:
    headers = {**headers, "Link": f"{headers['Link']}, {_CONTEXT_LINK}"}
    return JSONResponse(linkset(levels), headers=headers, media_type=LINKSET_MEDIA_TYPE)


def _redirect(link: Link, query: str, headers: dict[str, str]) -> Response:
    location = link.href
    if query:
        location += ("&" if "?" in location else "?") + query
    return Response(status_code=307, headers={**headers, "Location": location})


def _json(body: dict[str, Any], status_code: int, headers: dict[str, str]) -> JSONResponse:
    return JSONResponse(body, status_code=status_code, headers=headers)
