"""GS1 identifiers in the forms the CBV 2.0 event hash compares: EPC URIs to GS1 Digital Link.

The event hash (CBV 2.0 section 8.9) hashes every EPC URI (``urn:epc:id:…``), EPC class URI
(``urn:epc:class:…``) and EPC pattern URI (``urn:epc:idpat:…``) as its canonical GS1 Digital
Link URI on ``https://id.gs1.org``, and every Digital Link URI constrained to that domain, without
its query string, holding only its most fine-grained key. Both spellings of one object then hash
alike. Anything else (a project URI, ``geo:``) is returned unchanged.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

DL_DOMAIN = "https://id.gs1.org"

_EPC = re.compile(r"urn:epc:(id|class|idpat):([a-z]+):(.+)")
#: Digital Link primary keys and the qualifiers kept with each (most fine-grained only).
_DL_KEYS = ("00", "01", "253", "255", "401", "402", "414", "417", "8003", "8004", "8006")
_DL_KEYS += ("8010", "8017", "8018")
_DL_QUALIFIERS: dict[str, tuple[str, ...]] = {
    "01": ("21", "10", "235"),
    "414": ("254",),
    "8006": ("21", "10"),
    "8010": ("8011",),
}


def check_digit(body: str) -> str:
    """The GS1 mod-10 check digit of ``body`` (digits, without the check digit)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def gtin14(prefix: str, item: str) -> str:
    """GTIN-14 from an EPC's company prefix and item reference (indicator digit first)."""
    body = item[:1] + prefix + item[1:]
    return body + check_digit(body)


def _gln(prefix: str, location: str) -> str:
    body = prefix + location
    return body + check_digit(body)


def _from_epc(kind: str, scheme: str, rest: str) -> str | None:
    """The Digital Link URI of one EPC URI, or None for a scheme this module does not know."""
    parts = rest.split(".")
    if scheme in ("sgtin", "lgtin") and len(parts) == 3:
        prefix, item, tail = parts
        gtin = gtin14(prefix, item)
        if kind == "idpat" or tail == "*":
            return f"{DL_DOMAIN}/01/{gtin}"
        ai = "10" if scheme == "lgtin" else "21"
        return f"{DL_DOMAIN}/01/{gtin}/{ai}/{tail}"
    if scheme == "sscc" and len(parts) == 2:
        prefix, serial = parts
        body = serial[:1] + prefix + serial[1:]
        return f"{DL_DOMAIN}/00/{body}{check_digit(body)}"
    if scheme == "sgln" and len(parts) == 3:
        prefix, location, extension = parts
        tail = "" if extension == "0" else f"/254/{extension}"
        return f"{DL_DOMAIN}/414/{_gln(prefix, location)}{tail}"
    if scheme == "pgln" and len(parts) == 2:
        return f"{DL_DOMAIN}/417/{_gln(*parts)}"
    if scheme == "giai" and len(parts) == 2:
        return f"{DL_DOMAIN}/8004/{parts[0]}{parts[1]}"
    if scheme == "grai" and len(parts) == 3:
        prefix, asset, serial = parts
        body = prefix + asset
        return f"{DL_DOMAIN}/8003/0{body}{check_digit(body)}{serial}"
    return None


def _constrained_dl(uri: str) -> str | None:
    """A Digital Link URI on any domain, constrained as the event hash wants it; None if
    ``uri`` is not one."""
    try:
        parts = urlsplit(uri)
    except ValueError:  # e.g. an unclosed IPv6 host: not a Digital Link
        return None
    if parts.scheme not in ("http", "https"):
        return None
    segments = [s for s in parts.path.split("/") if s]
    for start, segment in enumerate(segments):
        if segment in _DL_KEYS and start + 1 < len(segments):
            pairs = segments[start:]
            if len(pairs) % 2:
                return None
            found = dict(zip(pairs[::2], pairs[1::2], strict=True))
            key = segment
            value = found[key]
            if key == "01":
                value = value.zfill(14)
            path = f"/{key}/{value}"
            for qualifier in _DL_QUALIFIERS.get(key, ()):
                if qualifier in found:
                    path += f"/{qualifier}/{found[qualifier]}"
                    break
            return DL_DOMAIN + path
    return None


@lru_cache(maxsize=8192)
def canonical_identifier(value: str) -> str:
    """``value`` as the event hash spells it (see the module docstring); remembered, as a
    capture names the same objects event after event."""
    match = _EPC.fullmatch(value)
    if match is not None:
        return _from_epc(*match.groups()) or value
    if value.startswith(("http://", "https://")):
        return _constrained_dl(value) or value
    return value


def gtin_and_lot(uri: str) -> tuple[str, str | None] | None:
    """(GTIN-14, lot or None) named by a class-level Digital Link or EPC URI, else None."""
    canonical = canonical_identifier(uri)
    if not canonical.startswith(f"{DL_DOMAIN}/01/"):
        return None
    segments = canonical[len(DL_DOMAIN) + 1 :].split("/")
    lot = segments[3] if len(segments) >= 4 and segments[2] == "10" else None
    return segments[1], lot
