"""``/.well-known/gs1resolver``: the resolver description file (GS1-Conformant Resolver 1.2,
section 3), which tells a GS1 client what this resolver answers before it asks.

Its fields are the standard's: ``resolverRoot`` (the public base URL, where every label's link
starts), ``supportedPrimaryKeys`` (GTIN only: lots are AI 10 under it; ``/l/`` links are not
GS1 keys), ``supportedLinkType`` (the GS1 vocabulary, prefix ``gs1:``),
``linkTypeDefaultCanBeLinkset`` (false: a plain request gets the page), the JSON-LD context
that turns a linkset into JSON-LD, and ``contact``. The extension profile (our
``linkTypes``, the languages, what is not supported) is a field of our own, allowed by the
schema's open object.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from backend.deps import SettingsDep
from backend.http.rate_limit import enforce_public_rate_limit
from backend.i18n import LANGUAGES
from backend.web.consumer.gs1_links import GS1_PREFIX, GS1_VOC, LINK_TYPES, LINKSET_CONTEXT

router = APIRouter(tags=["consumer"], dependencies=[Depends(enforce_public_rate_limit)])

#: Read by any GS1 client, cached for a day: it changes only with a deployment.
HEADERS = {"Cache-Control": "public, max-age=86400", "Access-Control-Allow-Origin": "*"}


def description(base_url: str, name: str) -> dict[str, Any]:
    """The description file for a resolver rooted at ``base_url``."""
    return {
        "name": name,
        "resolverRoot": base_url,
        "supportedPrimaryKeys": ["01"],
        "supportedLinkType": [{"namespace": GS1_VOC, "prefix": GS1_PREFIX}],
        "linkTypeDefaultCanBeLinkset": False,
        "jsonLdContextLocation": LINKSET_CONTEXT,
        "contact": {"fn": name},
        "x-sentrace": {
            "linkTypes": [f"{GS1_PREFIX}{rel}" for rel in LINK_TYPES],
            "languages": list(LANGUAGES),
            "qualifiers": ["10", "21"],
            "dataAttributes": ["15", "17", "7007"],
            "compressedUris": False,
            "documentation": f"{base_url}/docs",
        },
    }


@router.get("/.well-known/gs1resolver")
def gs1_resolver_description(settings: SettingsDep) -> JSONResponse:
    """What this GS1 Digital Link resolver supports (resolver standard, section 3)."""
    body = description(settings.public_base_url.rstrip("/"), "SenTrace")
    return JSONResponse(body, headers=HEADERS)
