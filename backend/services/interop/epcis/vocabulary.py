"""The words of SenTrace's EPCIS documents: contexts, namespaces, URIs of lots, farms, parties.

``@context`` is GS1's published EPCIS 2.0 context URL plus SenTrace's own namespace (never
fetched: the URL names the context, the export carries no other reference). SenTrace's
namespace, its custom business steps and its identifiers of farms, organisations and
certificates live under the deployment's public URL (``SENTRACE_PUBLIC_BASE_URL``), the web
space the deployment owns; a lot without a GTIN is named by its consumer page, ``/l/{code}``,
the URI its label prints.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

from backend.services.interop.epcis.event_hash import CBV
from backend.services.interop.epcis.identifiers import DL_DOMAIN

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
PREFIX = "sentrace"
#: Units of measure SenTrace records and their UN/ECE Recommendation 20 codes.
UOM = {"kg": "KGM", "g": "GRM", "t": "TNE", "tấn": "TNE", "l": "LTR", "lít": "LTR"}


class Vocabulary:
    """The URIs of one deployment (its public base URL)."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url.rstrip("/")
        self.namespace = f"{self.base}/ns/epcis/"

    def context(self, extra: dict[str, str] | None = None) -> list[Any]:
        """The document's ``@context``: GS1's context and SenTrace's namespace (and prefixes
        captured events brought with them)."""
        return [EPCIS_CONTEXT, {**(extra or {}), PREFIX: self.namespace}]

    def term(self, local: str) -> str:
        """A member in SenTrace's namespace, as a compact IRI (``sentrace:proof``)."""
        return f"{PREFIX}:{local}"

    def biz_step(self, local: str) -> str:
        """A SenTrace business step (CBV 2.0 has none for harvesting inputs or checks)."""
        return f"{self.namespace}BizStep-{local}"

    def lot_class(self, code: str, gtin: str | None) -> str:
        """The class-level identifier of a lot: GS1 Digital Link with a GTIN, else its page."""
        if gtin:
            return f"{DL_DOMAIN}/01/{gtin}/10/{quote(code, safe='')}"
        return f"{self.base}/l/{quote(code, safe='')}"

    def farm(self, code: str) -> str:
        return f"{self.base}/id/farm/{quote(code, safe='')}"

    def org(self, slug: str) -> str:
        return f"{self.base}/id/org/{quote(slug, safe='')}"

    def certificate(self, scheme: str, number: str) -> str:
        return f"{self.base}/id/certificate/{quote(scheme, safe='')}/{quote(number, safe='')}"

    def lot_code_of(self, uri: str) -> str | None:
        """The lot code a SenTrace lot URI (``{base}/l/{code}``) names, else None."""
        head = f"{self.base}/l/"
        if not uri.startswith(head):
            return None
        code = unquote(uri[len(head) :])
        return code if code and "/" not in code else None


def cbv_uri(kind: str, word: str) -> str:
    """A bare CBV word as its Web URI (``BizStep``, ``shipping`` → …/cbv/BizStep-shipping)."""
    return word if ":" in word else f"{CBV}{kind}-{word}"


def uom(unit: str) -> str | None:
    return UOM.get(unit.strip().lower())
