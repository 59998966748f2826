"""The links a label's code resolves to, per GS1-Conformant Resolver 1.2, and their two shapes:
an RFC 9264 linkset (``application/linkset+json``) and an RFC 8288 ``Link`` header.

A request resolves at up to two levels (resolver standard 2.5.9): the lot (``/01/{gtin}/10/{lot}``
or ``/l/{lot}``) and, when the product has a GTIN, the GTIN above it (``/01/{gtin}``). The
linkset is the union of both levels, each with its own anchor; a lot the ledger does not know
"walks up" to its GTIN's level when the GTIN is known. Link types are GS1 Web Vocabulary terms
(``https://ref.gs1.org/voc/…``, written ``gs1:…`` in a request). Which links a level has comes
from proven data: the certificate link only when the lot's verified first document names
certificates, and the targets of recall status and certificates answer from the verification.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from backend.i18n import LANGUAGES, translator
from backend.i18n.messages import message

GS1_VOC = "https://ref.gs1.org/voc/"
#: Other spellings of the GS1 vocabulary a request may use (resolver standard 2.14).
GS1_VOC_ALIASES = (
    GS1_VOC,
    "https://gs1.org/voc/",
    "https://www.gs1.org/voc/",
    "http://gs1.org/voc/",
    "http://www.gs1.org/voc/",
)
GS1_PREFIX = "gs1:"
#: GS1's JSON-LD context that turns a resolver's linkset into JSON-LD (resolver artefacts).
LINKSET_CONTEXT = "https://ref.gs1.org/standards/resolver/linkset-context"
#: The class-level identifier domain the EPCIS export names lots of a GTIN by.
GS1_ID_DOMAIN = "https://id.gs1.org"
LINKSET_MEDIA_TYPE = "application/linkset+json"

DEFAULT_LINK = "defaultLink"
PIP = "pip"
TRACEABILITY = "traceability"
EPCIS = "epcis"
CERTIFICATION_INFO = "certificationInfo"
RECALL_STATUS = "recallStatus"
#: Every link type this resolver can answer (the description file lists them).
LINK_TYPES = (DEFAULT_LINK, PIP, TRACEABILITY, EPCIS, CERTIFICATION_INFO, RECALL_STATUS)


@dataclass(frozen=True)
class Link:
    """One target: a link type (short GS1 vocabulary name), where, what, in which languages."""

    rel: str
    href: str
    title: str
    media_type: str
    hreflang: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "href": self.href,
            "title": self.title,
            "type": self.media_type,
            "hreflang": list(self.hreflang),
        }


@dataclass(frozen=True)
class LinkLevel:
    """The links of one identified thing (a lot, or a GTIN), under its anchor URI."""

    anchor: str
    links: tuple[Link, ...]
    #: The product's name as a verified document states it (``itemDescription``), if any.
    description: str | None = None
    #: Link types in the order the linkset lists them.
    order: tuple[str, ...] = field(default=LINK_TYPES)

    def of_type(self, rel: str) -> list[Link]:
        return [link for link in self.links if link.rel == rel]


def lot_anchor(base_url: str, *, lot: str, gtin: str | None) -> str:
    """The lot's label URI on this resolver (without data attributes)."""
    segment = quote(lot, safe="")
    return f"{base_url}/01/{gtin}/10/{segment}" if gtin else f"{base_url}/l/{segment}"


def gtin_anchor(base_url: str, gtin: str) -> str:
    return f"{base_url}/01/{gtin}"


def epc_class(base_url: str, *, lot: str, gtin: str | None) -> str:
    """The lot's class-level identifier as the EPCIS export writes it: the GS1 Digital Link on
    ``id.gs1.org`` for a GTIN, the lot's own ``/l/`` URI for a product without one."""
    if gtin is None:
        return lot_anchor(base_url, lot=lot, gtin=None)
    return f"{GS1_ID_DOMAIN}/01/{gtin}/10/{quote(lot, safe='')}"


def _page_links(rel: str, href: str, key: str) -> list[Link]:
    """The consumer page in each language: Vietnamese at ``href``, English with ``?lang=en``."""
    return [
        Link(
            rel=rel,
            href=href if lang == LANGUAGES[0] else f"{href}?lang={lang}",
            title=translator(lang)(key),
            media_type="text/html",
            hreflang=(lang,),
        )
        for lang in LANGUAGES
    ]


def _api_link(rel: str, href: str, key: str, media_type: str = "application/json") -> Link:
    """A machine answer, one for both languages (its messages carry both)."""
    return Link(rel, href, message(key), media_type, LANGUAGES)


def epcis_query(base_url: str, epc_class_uri: str) -> str:
    """The EPCIS 2.0 query interface asked for one class's events."""
    return f"{base_url}/epcis/events?{urlencode({'MATCH_epcClass': epc_class_uri})}"


def lot_level(
    base_url: str,
    *,
    lot: str,
    anchor_gtin: str | None,
    gtin: str | None,
    certified: bool,
    description: str | None,
) -> LinkLevel:
    """The lot's links: its page (default and ``gs1:pip``), its EPCIS export
    (``gs1:traceability``), the EPCIS query for its class (``gs1:epcis``), its recall status
    and, when its verified first document names any, its growing area's certificates.
    ``anchor_gtin`` is the GTIN of the URI asked (None for ``/l/``), ``gtin`` the product's."""
    anchor = lot_anchor(base_url, lot=lot, gtin=anchor_gtin)
    api = f"{base_url}/api/v1/lots/{quote(lot, safe='')}"
    page = _page_links(PIP, anchor, "resolver.title.pip")
    links = [
        _page_links(DEFAULT_LINK, anchor, "resolver.title.default")[0],
        *page,
        _api_link(
            TRACEABILITY, f"{api}/epcis", "resolver.title.traceability", "application/ld+json"
        ),
        _api_link(
            EPCIS,
            epcis_query(base_url, epc_class(base_url, lot=lot, gtin=gtin)),
            "resolver.title.epcis",
        ),
        _api_link(RECALL_STATUS, f"{api}/recall-status", "resolver.title.recall"),
    ]
    if certified:
        links.append(
            _api_link(CERTIFICATION_INFO, f"{api}/certifications", "resolver.title.certification")
        )
    return LinkLevel(anchor=anchor, links=tuple(links), description=description)


def gtin_level(base_url: str, *, gtin: str, description: str | None) -> LinkLevel:
    """The GTIN's links: its product page (default and ``gs1:pip``) and the EPCIS query for
    every lot of it (``gs1:epcis``, and ``gs1:traceability``: one export is per lot, so a
    GTIN's traceability is the query over its class)."""
    anchor = gtin_anchor(base_url, gtin)
    query = epcis_query(base_url, f"{GS1_ID_DOMAIN}/01/{gtin}")
    links = [
        _page_links(DEFAULT_LINK, anchor, "resolver.title.product")[0],
        *_page_links(PIP, anchor, "resolver.title.product"),
        _api_link(TRACEABILITY, query, "resolver.title.epcis"),
        _api_link(EPCIS, query, "resolver.title.epcis"),
    ]
    return LinkLevel(anchor=anchor, links=tuple(links), description=description)


def select(levels: Sequence[LinkLevel], rel: str, lang: str) -> Link | None:
    """The link of type ``rel`` for a reader of ``lang``: the most specific level that has the
    type, and there the link in the reader's language, else its first (resolver 2.6.3)."""
    for level in levels:
        found = level.of_type(rel)
        if found:
            return next((link for link in found if lang in link.hreflang), found[0])
    return None


def linkset(levels: Iterable[LinkLevel]) -> dict[str, Any]:
    """The RFC 9264 JSON linkset: one context object per level, relation types as GS1
    vocabulary URIs, each target with ``href``, ``title``, ``type`` and ``hreflang``."""
    contexts = []
    for level in levels:
        context: dict[str, Any] = {"anchor": level.anchor}
        if level.description:
            context["itemDescription"] = level.description
        for rel in level.order:
            targets = level.of_type(rel)
            if targets:
                context[GS1_VOC + rel] = [link.as_json() for link in targets]
        contexts.append(context)
    return {"linkset": contexts}


def description_url(base_url: str) -> str:
    """Where the resolver describes itself (resolver standard section 3)."""
    return f"{base_url}/.well-known/gs1resolver"


def link_header(
    levels: Sequence[LinkLevel], *, linkset_url: str | None, base_url: str, compact: bool = False
) -> str:
    """The ``Link`` header: the resolver's description, the linkset, then every link of every
    level. Titles stay in the linkset: a header carries ASCII only, the titles Vietnamese.

    ``compact`` (the pages a phone opens on every scan) keeps the description, the linkset and
    each level's default link: the full list is 2.7 KB, as much again as the gzipped page, and
    a program finds it all in the linkset or on any machine answer."""
    parts = [f'<{description_url(base_url)}>; rel="describedby"; type="application/json"']
    if linkset_url is not None:
        parts.append(f'<{linkset_url}>; rel="linkset"; type="{LINKSET_MEDIA_TYPE}"')
    for level in levels:
        for link in level.of_type(DEFAULT_LINK) if compact else level.links:
            hreflang = "".join(f'; hreflang="{lang}"' for lang in link.hreflang)
            parts.append(
                f'<{link.href}>; rel="{GS1_VOC}{link.rel}"; type="{link.media_type}"'
                f'; anchor="{level.anchor}"{hreflang}'
            )
    return ", ".join(parts)


def linkset_url(anchor: str) -> str:
    return f"{anchor}?linkType=linkset"
