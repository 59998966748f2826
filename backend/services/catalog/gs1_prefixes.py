"""GS1 company prefixes: which organisation owns which GTINs.

GS1 Vietnam licenses a company prefix (893 followed by the company's digits) to a business;
every GTIN that business allocates starts with it. Without a record of who holds which prefix,
products were first come, first served: anyone could register another company's GTIN and print
lots under it. Now the platform admin registers each organisation's prefixes (with the licence
reference to check them against), and a product with a GTIN can be registered only by the
organisation holding a prefix the GTIN starts with. ``biip`` splits the GTIN into its GS1
prefix, company prefix and item reference; the company prefix it finds (from GS1's table of
prefix lengths) names the prefix in a refusal when nobody holds it here.

Prefixes never overlap: one that starts another registered prefix, or is started by one, is
refused, so each GTIN has at most one owner. GS1 allocates a GTIN-8 whole rather than under a
company prefix: its seven digits before the check digit are registered as the "prefix".
"""

from __future__ import annotations

import re
import unicodedata

from biip import ParseError
from biip.gs1_prefixes import GS1Prefix
from biip.gtin import Gtin
from sqlmodel import Session, col, select

from backend.errors import Conflict, InvalidInput, PermissionDenied
from backend.i18n.messages import message
from backend.models import Gs1Prefix, Organisation

#: GS1 company prefixes are 4 to 12 digits long (GS1 General Specifications 1.4.4).
PREFIX_PATTERN = re.compile(r"^[0-9]{4,12}$")
MAX_LICENCE_LENGTH = 200


def validate_prefix(prefix: str) -> str:
    """A company prefix: 4–12 digits under a GS1 member organisation's prefix (or a GTIN-8's
    seven digits under a GTIN-8 prefix)."""
    value = prefix.strip() if isinstance(prefix, str) else ""
    if not PREFIX_PATTERN.match(value):
        raise InvalidInput(message("catalog.gs1.prefix_shape"), field="prefix")
    found = GS1Prefix.extract(value)
    member = found is not None and (found.usage.startswith("GS1 ") or "GTIN-8" in found.usage)
    if not member:
        raise InvalidInput(message("catalog.gs1.prefix_not_gs1"), field="prefix")
    return value


def register_prefix(session: Session, *, org: Organisation, prefix: str, licence: str) -> Gs1Prefix:
    """Record that ``org`` holds ``prefix`` (admin only, checked by the caller's route)."""
    value = validate_prefix(prefix)
    text = unicodedata.normalize("NFC", licence if isinstance(licence, str) else "").strip()
    if not text or len(text) > MAX_LICENCE_LENGTH:
        raise InvalidInput(message("catalog.gs1.licence"), field="licence")
    overlapping = session.exec(
        select(Gs1Prefix).where(
            col(Gs1Prefix.prefix).in_(_heads(value)) | col(Gs1Prefix.prefix).startswith(value)
        )
    ).first()
    if overlapping is not None:
        raise Conflict(
            message("catalog.gs1.prefix_taken", prefix=overlapping.prefix), field="prefix"
        )
    assert org.id is not None
    row = Gs1Prefix(org_id=org.id, prefix=value, licence=text)
    session.add(row)
    session.flush()
    return row


def prefixes_of(session: Session, *, org: Organisation) -> list[Gs1Prefix]:
    return list(
        session.exec(
            select(Gs1Prefix).where(Gs1Prefix.org_id == org.id).order_by(col(Gs1Prefix.prefix))
        )
    )


def holder_of(session: Session, gtin14: str) -> Gs1Prefix | None:
    """The registered prefix a GTIN-14 starts with (past its indicator digit), if any."""
    return session.exec(
        select(Gs1Prefix).where(col(Gs1Prefix.prefix).in_(_heads(_company_part(gtin14))))
    ).first()


def brand_owner(session: Session, gtin14: str | None) -> Organisation | None:
    """The organisation holding the prefix of ``gtin14``: the product's brand owner."""
    if not gtin14:
        return None
    held = holder_of(session, gtin14)
    return session.get(Organisation, held.org_id) if held is not None else None


def require_gtin_owner(session: Session, *, org: Organisation, gtin14: str) -> None:
    """Refuse a GTIN whose company prefix ``org`` does not hold, naming the prefix."""
    held = holder_of(session, gtin14)
    if held is not None and held.org_id == org.id:
        return
    prefix = held.prefix if held is not None else _biip_company_prefix(gtin14)
    key = "catalog.gs1.not_your_prefix" if held is not None else "catalog.gs1.unregistered_prefix"
    raise PermissionDenied(message(key, prefix=prefix), field="gtin")


def _company_part(gtin14: str) -> str:
    """The digits a company prefix is read from: a GTIN-14 without its indicator digit and
    check digit, or a GTIN-8 (padded with six zeros) without its check digit."""
    if gtin14.startswith("000000"):
        return gtin14[6:13]
    return gtin14[1:13]


def _heads(digits: str) -> list[str]:
    """Every start of ``digits`` a company prefix could be (4 to 12 digits)."""
    return [digits[:n] for n in range(4, min(len(digits), 12) + 1)]


def _biip_company_prefix(gtin14: str) -> str:
    """The company prefix ``biip`` reads from the GTIN, else its GS1 prefix, else its start."""
    try:
        parsed = Gtin.parse(gtin14)
    except ParseError:
        return _company_part(gtin14)[:7]
    if parsed.company_prefix is not None:
        return parsed.company_prefix.value
    if parsed.prefix is not None:
        return parsed.prefix.value
    return _company_part(gtin14)[:7]
