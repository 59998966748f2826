"""Whether a farm's stated claims are confirmed: certificates by a regulator's signed review,
growing-area codes by the registry.

A page says a certificate is confirmed only from a review document (proof rules 13.4) that
checks out here, never from a column: its stored bytes are canonical and of this farm's diary,
its signature recovers to a key that the registry in use records as signing for the
document's organisation now (as for a pending event, section 12.4) and to which the registry
grants ``REGULATOR_ROLE``. The newest such review of a certificate decides: a confirmation
names the regulator as its document states it, a withdrawal puts the certificate back to
self-declared. A review that does not check out is ignored, so a row written behind the
application's back, or a chain that cannot be asked, leaves the certificate self-declared.

A growing-area code reads as confirmed by the registry when a registered area holds it and
lists the farm; anything else is the cooperative's own statement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from backend.hashing import canonical_bytes, keccak, to_hex
from backend.hashing.diary import DIARY_SCHEMA, REVIEW_TYPES, review_certificate
from backend.hashing.eip712 import org_key
from backend.json_depth import loads_bounded
from backend.models import Farm, FarmDiaryEntry
from backend.models_areas import GrowingArea, GrowingAreaFarm
from backend.services.verification.chain_view import ChainView
from backend.services.verification.signatures import Standing, judge, signing_domains

SELF_DECLARED = "self_declared"
CONFIRMED = "confirmed"


@dataclass(frozen=True)
class ClaimStanding:
    """One stated claim as a page may show it: ``confirmed`` names who confirmed it."""

    status: str  # SELF_DECLARED | CONFIRMED
    confirmed_by: str | None = None


def certificate_standings(
    session: Session,
    *,
    farm_code: str,
    certificates: Sequence[Mapping[str, Any]],
    view: ChainView,
) -> list[ClaimStanding]:
    """The standing of each of ``certificates`` (as the lot's document states them, in order)."""
    if not certificates:
        return []
    reviews = _verified_reviews(session, farm_code=farm_code, view=view)
    standings = []
    for item in certificates:
        by = reviews.get(_key(review_certificate(item)))
        standings.append(ClaimStanding(CONFIRMED, by) if by else ClaimStanding(SELF_DECLARED))
    return standings


def area_standing(session: Session, *, farm_code: str, area_code: str | None) -> str | None:
    """CONFIRMED when a registered area holds ``area_code`` and lists the farm, else
    SELF_DECLARED; None when no code is stated."""
    if not area_code:
        return None
    member = session.exec(
        select(GrowingAreaFarm.farm_id)
        .join(GrowingArea, col(GrowingArea.id) == col(GrowingAreaFarm.area_id))
        .join(Farm, col(Farm.id) == col(GrowingAreaFarm.farm_id))
        .where(GrowingArea.code == area_code, Farm.code == farm_code)
    ).first()
    return CONFIRMED if member is not None else SELF_DECLARED


def _key(certificate: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(certificate.items()))


def _verified_reviews(
    session: Session, *, farm_code: str, view: ChainView
) -> dict[tuple[tuple[str, str], ...], str | None]:
    """Certificate → the confirming regulator's name (None: withdrawn), newest review last."""
    rows = session.exec(
        select(FarmDiaryEntry)
        .join(Farm, col(Farm.id) == col(FarmDiaryEntry.farm_id))
        .where(Farm.code == farm_code, col(FarmDiaryEntry.type).in_(REVIEW_TYPES))
        .order_by(col(FarmDiaryEntry.diary_seq))
    ).all()
    found: dict[tuple[tuple[str, str], ...], str | None] = {}
    for row in rows:
        document = _checked(row, farm_code=farm_code, view=view)
        if document is None:
            continue
        certificate = document["data"]["certificate"]
        confirmed = document["type"] == REVIEW_TYPES[0]
        found[_key(certificate)] = str(document["org_name"]) if confirmed else None
    return found


def _checked(row: FarmDiaryEntry, *, farm_code: str, view: ChainView) -> dict[str, Any] | None:
    """The review's document when its bytes, farm and signature check out, else None."""
    raw = bytes(row.canonical)
    try:
        document = loads_bounded(raw)
        if canonical_bytes(document) != raw:
            return None
    except (ValueError, TypeError):
        return None
    if not _is_review(document, farm_code):
        return None
    address, chain_id = view.contract_address, view.chain_id
    if address is None or chain_id is None:
        return None
    key = org_key(str(document["org"]))
    statement = {"org": document["org"], "lot": f"farm/{farm_code}", "seq": document["seq"]}
    judged = judge(
        statement,
        to_hex(keccak(raw)),
        row.signature,
        signing_domains(chain_id, address, view.replaced_registries),
        lambda recovered: view.signer_record(None, key, recovered),
        at=None,
    )
    if judged.signer is None or judged.standing is not Standing.SIGNS:
        return None
    return document if view.is_regulator(judged.signer) else None


def _is_review(document: Any, farm_code: str) -> bool:
    """A diary document of this farm that reviews a certificate, well formed enough to read."""
    if not isinstance(document, dict) or document.get("schema") != DIARY_SCHEMA:
        return False
    data = document.get("data")
    return (
        document.get("farm") == farm_code
        and document.get("type") in REVIEW_TYPES
        and isinstance(document.get("seq"), int)
        and isinstance(document.get("org"), str)
        and isinstance(document.get("org_name"), str)
        and isinstance(data, dict)
        and isinstance(data.get("certificate"), dict)
        and all(isinstance(v, str) for v in data["certificate"].values())
    )
