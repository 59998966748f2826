"""What a request to a label URI asks of the GS1 resolver: which link type, or the linkset, and
which thing (a lot, or a GTIN alone).

``linkType`` takes a GS1 vocabulary term in any spelling the resolver standard allows (2.14):
``gs1:pip``, ``https://ref.gs1.org/voc/pip``, ``https://gs1.org/voc/pip``. ``linkType=linkset``
(or the deprecated ``all``) and ``Accept: application/linkset+json`` ask for the linkset. GS1
data attributes in the query string (``15`` best before, ``17`` expiry, ``7007`` harvest date,
as export labels print them) are checked with ``biip`` when a program asks, and passed on.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from biip import BiipException, ParseError
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_element_strings import GS1ElementString

from backend.web.consumer.gs1_links import GS1_PREFIX, GS1_VOC_ALIASES, LINKSET_MEDIA_TYPE
from backend.web.consumer.negotiation import weighted
from qr.errors import InvalidUri, LabelError
from qr.gtin import normalize_gtin
from qr.uri import GTIN_KEY, DigitalLink, parse_uri

LINKSET_WORDS = frozenset({"linkset", "all"})
#: biip wants an absolute URL; the host plays no part in the element strings.
_PARSE_HOST = "https://link.invalid"
#: AI 7007 may state a range (two dates, YYMMDDYYMMDD); ``biip`` reads only one date.
_RANGE_AI = "7007"


class BadDataAttribute(InvalidUri):
    """A GS1 data attribute in the query string whose value does not fit its AI."""

    code = "invalid_data_attribute"

    def __init__(self, ai: str, text: str) -> None:
        super().__init__(text)
        self.ai = ai


@dataclass(frozen=True)
class ResolverAsk:
    """The resolver part of a request: a link type (short GS1 name, or the raw value when it is
    not a GS1 term), or the linkset; neither for a plain scan."""

    link_type: str | None
    linkset: bool
    raw_link_type: str | None

    @property
    def machine(self) -> bool:
        """Asked as a GS1 resolver (a link type or the linkset), not as a page or the JSON."""
        return self.linkset or self.link_type is not None


def normalise_link_type(value: str) -> str:
    """``gs1:pip`` and the vocabulary URIs → ``pip``; anything else unchanged."""
    value = value.strip()
    if value.startswith(GS1_PREFIX):
        return value[len(GS1_PREFIX) :]
    for namespace in GS1_VOC_ALIASES:
        if value.startswith(namespace):
            return value[len(namespace) :]
    return value


def resolver_ask(link_type: str | None, accept: str | None) -> ResolverAsk:
    if link_type is not None and link_type.strip():
        short = normalise_link_type(link_type)
        if short in LINKSET_WORDS:
            return ResolverAsk(link_type=None, linkset=True, raw_link_type=link_type)
        return ResolverAsk(link_type=short, linkset=False, raw_link_type=link_type)
    linkset = any(media == LINKSET_MEDIA_TYPE and q > 0 for media, q in weighted(accept))
    return ResolverAsk(link_type=None, linkset=linkset, raw_link_type=None)


@dataclass(frozen=True)
class GtinOnly:
    """A Digital Link naming a product alone: ``/01/{gtin}``."""

    gtin: str


def parse_target(path: str) -> DigitalLink | GtinOnly:
    """The lot (and GTIN) a label path names, or a GTIN alone; GTIN-8/12/13 read as GTIN-14.

    Raises :class:`~qr.errors.LabelError` (wrong shape, bad check digit, data attribute in
    the path, qualifiers out of order) like :func:`qr.uri.parse_uri`.
    """
    segments = [s for s in urlsplit(path).path.split("/") if s]
    if len(segments) == 2 and segments[0] == GTIN_KEY:
        return GtinOnly(normalize_gtin(unquote(segments[1])))
    return parse_uri(path)


def digital_link_gtin(path: str) -> str | None:
    """The GTIN of a path that is a valid GS1 Digital Link though not a SenTrace label link
    (a serial without a lot, say), else None: such a request is valid and walks up to its
    GTIN (resolver 2.4.1, 2.5.9) rather than being refused."""
    try:
        parsed = GS1DigitalLinkURI.parse(f"{_PARSE_HOST}{urlsplit(path).path}")
    except BiipException:
        return None
    found = parsed.element_strings.get(ai="01")
    if found is None:
        return None
    try:
        return normalize_gtin(found.value)  # biip reads a wrong check digit without a word
    except LabelError:
        return None


def check_data_attributes(query: str) -> None:
    """Every all-digit key of the query string must be a GS1 AI whose value fits it
    (URI syntax 4.10); :class:`BadDataAttribute` names the first that does not."""
    for key, value in parse_qsl(query, keep_blank_values=True):
        if not key.isdigit():
            continue  # linkType, lang and other extension keys
        values = [value[:6], value[6:]] if key == _RANGE_AI and len(value) == 12 else [value]
        for part in values:
            try:
                GS1ElementString.parse(f"{key}{part}")
            except ParseError as exc:
                raise BadDataAttribute(key, f"({key}) {exc}") from exc


def passed_on_query(query: str) -> str:
    """The request's query string for a redirect target, less the resolver's own ``linkType``
    (resolver 2.12 passes the query on; the target would not know the keyword)."""
    kept = [
        part
        for part in query.split("&")
        if part and unquote(part.partition("=")[0]) not in ("linkType",)
    ]
    return "&".join(kept)
