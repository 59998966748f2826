"""One entry of the page's journey, as HTML, remembered by the exact entry it shows.

A journey lists every event of the lot and of the lots it came from, and each entry is a
dozen escaped values; rendering them was most of the template's work on every scan. An entry
is a pure function of its :class:`EventView` (a frozen value built on every request from the
verified documents and this request's verdicts), the language, the page's own lot and the
late-record policy, so its HTML is remembered under exactly those: an entry whose verdict,
anchoring time or any shown text changed is a different view, rendered afresh.
"""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup

from backend.i18n import translator
from backend.web.consumer.views import EventView
from backend.web.templating import render

#: Entries kept per process: a few hundred bytes each, enough for the journeys of the lots
#: scanned most (a long ancestry's page alone lists hundreds).
ENTRIES_KEPT = 8192


@lru_cache(maxsize=ENTRIES_KEPT)
def journey_entry(entry: EventView, page_lot_code: str, lang: str, late_after_h: int) -> Markup:
    """The ``<li>`` of ``entry`` on the page of ``page_lot_code``, in ``lang``."""
    html = render(
        "consumer/_journey_entry.html",
        ev=entry,
        page_lot_code=page_lot_code,
        late_after_h=late_after_h,
        t=translator(lang),
    )
    return Markup(html)  # noqa: S704 (rendered by the autoescaping environment)
