"""A lot's recall status and its growing area's certificates, as its verification proves them.

These are the targets of the GS1 resolver's ``gs1:recallStatus`` and ``gs1:certificationInfo``
links. Both read the verification, never the rows beside it: the recall from the lot's (or an
ancestor's) verified recall document or the chain's recall record, the certificates from the
lot's first document (rules v2), and only while the lot's verdict says its documents are
anchored (``verified``, or ``recalled``, whose documents are anchored too). A lot still
``pending`` or ``tampered`` has no proven certificates, and says so.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from backend.services.verification import claims
from backend.services.verification.chain_view import ChainView
from backend.services.verification.proven_facts import proven_lot_facts
from backend.services.verification.results import Verification
from backend.services.verification.verdicts import Verdict
from backend.timeutil import in_vietnam

#: Verdicts under which the lot's documents are anchored and its facts proven.
PROVEN_VERDICTS = frozenset({Verdict.VERIFIED, Verdict.RECALLED})


def is_proven(verification: Verification) -> bool:
    return verification.verdict in PROVEN_VERDICTS


def recall_status(verification: Verification) -> dict[str, Any]:
    """Whether the lot or an ancestor is recalled, with when, why and the chain's record."""
    recall = verification.recall
    return {
        "lot": verification.lot.lot.code,
        "verdict": str(verification.verdict),
        "recalled": recall is not None,
        "recall": recall.as_json() if recall is not None else None,
    }


def proven_farm(verification: Verification) -> dict[str, Any] | None:
    """The farm the lot's verified first document states (None when not proven or none)."""
    if not is_proven(verification):
        return None
    facts = proven_lot_facts(verification)
    farm = facts.get("farm") if facts is not None else None
    return dict(farm) if farm else None


def proven_certifications(verification: Verification) -> list[dict[str, Any]]:
    """The certificates the lot's verified first document names (empty when not proven)."""
    farm = proven_farm(verification)
    if farm is None:
        return []
    return [c for c in farm.get("certifications") or [] if c.get("scheme")]


def certification_info(
    session: Session, verification: Verification, view: ChainView
) -> dict[str, Any]:
    """The lot's proven certificates, each with whether it was valid on the harvest day and
    whether a regulator's signed review confirms it (``claims``: else self-declared)."""
    stated = proven_certifications(verification)
    farm = proven_farm(verification)
    standings = (
        claims.certificate_standings(
            session, farm_code=farm["code"], certificates=stated, view=view
        )
        if farm is not None
        else []
    )
    facts = proven_lot_facts(verification)
    harvested = facts.get("harvested_at") if facts is not None else None
    # The day in Đồng Tháp: a harvest at 06:30 +07:00 is the day before in UTC.
    harvest_day = in_vietnam(datetime.fromisoformat(harvested)).date() if harvested else None
    return {
        "lot": verification.lot.lot.code,
        "verdict": str(verification.verdict),
        "proven": is_proven(verification),
        "certifications": [
            _certificate(cert, harvest_day, standing)
            for cert, standing in zip(stated, standings, strict=True)
        ],
    }


def _day(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _certificate(
    cert: dict[str, Any], harvest_day: date | None, standing: claims.ClaimStanding
) -> dict[str, Any]:
    valid_from, valid_until = cert.get("valid_from"), cert.get("valid_until")
    start, end = _day(valid_from), _day(valid_until)
    valid = None
    if harvest_day is not None:
        valid = (start is None or start <= harvest_day) and (end is None or harvest_day <= end)
    return {
        "scheme": cert.get("scheme"),
        "number": cert.get("number"),
        "issuer": cert.get("issuer"),
        "valid_from": valid_from,
        "valid_until": valid_until,
        "valid_at_harvest": valid,
        "status": standing.status,
        "confirmed_by": standing.confirmed_by,
    }
