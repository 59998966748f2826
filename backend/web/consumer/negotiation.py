"""Content negotiation for a label link: a page for a browser, JSON for a program.

A program that sends ``Accept: application/json`` should not have to parse HTML; everyone else
(a phone's browser above all) gets the page. Link types (``linkType``) and the linkset are the
GS1 resolver's business (``gs1_request``, ``gs1_answers``).
"""

from __future__ import annotations

from collections.abc import Iterator

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


def wants_json(accept: str | None) -> bool:
    """JSON when Accept prefers JSON to HTML."""
    json_q = html_q = 0.0
    for media, quality in weighted(accept):
        if media in _JSON_TYPES:
            json_q = max(json_q, quality)
        elif media in _HTML_TYPES:
            html_q = max(html_q, quality)
    return json_q > 0 and json_q > html_q
