"""The ``unknown`` answer of a label link: a 404 page warning of a counterfeit label, or the
JSON 404 for a program that asked for JSON."""

from __future__ import annotations

from fastapi.responses import Response

from backend.http.not_found import unknown_lot
from backend.web.consumer.page_request import PageRequest
from backend.web.templating import render


def unknown_answer(page: PageRequest, *, scanned: str, gtin_mismatch: bool = False) -> Response:
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
