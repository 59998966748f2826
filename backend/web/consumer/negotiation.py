"""Content negotiation for a label link: a page for a browser, JSON for a program.

A GS1 Digital Link resolver must answer a ``linkType`` asking for the traceability record, and
a program that sends ``Accept: application/json`` should not have to parse HTML; everyone else
(a phone's browser above all) gets the page.
"""

from __future__ import annotations

from collections.abc import Iterator

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
