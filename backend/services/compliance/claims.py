"""A regulator's review of the certificates a farm claims: confirmed, or the confirmation withdrawn.

A cooperative states its farm's certificates itself (scheme, number, issuer), and the pages show
them as self-declared. A regulator who has checked one with its issuer confirms it; the
confirmation is a signed entry of the farm's diary (``claim_confirmation``, proof rules 13.4),
chained with the farm's other entries, so the platform cannot confirm anything in a
regulator's name. A withdrawal (``claim_revocation``) is signed the same way and carries its
reason. Whether a page may say "confirmed" is decided by ``verification.claims``, from the
signed documents alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from backend.config import Settings
from backend.errors import Conflict, InvalidInput
from backend.hashing.diary import REVIEW_TYPES, review_certificate
from backend.i18n.messages import message
from backend.json_depth import loads_bounded
from backend.models import DiaryEntryType, Farm, FarmDiaryEntry, Organisation, OrgRole
from backend.services import validation
from backend.services.accounts import permissions
from backend.services.compliance.diary import lock_farm, new_entry
from backend.timeutil import utcnow, whole_seconds_utc

#: Who may confirm a certificate or withdraw a confirmation.
CLAIM_REVIEWERS = frozenset({OrgRole.REGULATOR})


def record_review(
    session: Session,
    *,
    org: Organisation,
    farm_code: str,
    scheme: Any,
    number: Any,
    confirm: bool,
    text: Any,
    settings: Settings,
) -> FarmDiaryEntry:
    """A regulator confirms (``confirm``) or withdraws its confirmation of one of the farm's
    stated certificates; ``text`` is an optional note on a confirmation, the required reason of
    a withdrawal. 422 when the farm states no such certificate or a withdrawal finds nothing
    confirmed; 409 when it is confirmed already."""
    permissions.require_role(org, CLAIM_REVIEWERS)
    chosen_scheme = validation.required_text(scheme, field="scheme", max_length=40)
    chosen_number = validation.required_text(number, field="number", max_length=64)
    farm = lock_farm(session, farm_code)
    names = {"scheme": chosen_scheme, "number": chosen_number}
    stated = _stated(farm, chosen_scheme, chosen_number)
    if stated is None:
        raise InvalidInput(
            message("compliance.claim.unknown_certification", **names), field="number"
        )
    certificate = review_certificate(stated)
    confirmed = _newest_review_type(session, farm=farm, certificate=certificate)
    is_confirmed = confirmed == DiaryEntryType.CLAIM_CONFIRMATION.value
    if confirm and is_confirmed:
        raise Conflict(message("compliance.claim.already_confirmed", **names), field="number")
    if not confirm and not is_confirmed:
        raise InvalidInput(message("compliance.claim.not_confirmed", **names), field="number")
    data: dict[str, Any] = {"certificate": certificate}
    if confirm:
        note = validation.text(text, field="note", max_length=1000, required=False, multiline=True)
        if note:
            data["note"] = note
    else:
        data["reason"] = validation.required_text(
            text, field="reason", max_length=1000, multiline=True
        )
    entry_type = DiaryEntryType.CLAIM_CONFIRMATION if confirm else DiaryEntryType.CLAIM_REVOCATION
    entry = new_entry(
        session,
        farm=farm,
        org=org,
        entry_type=entry_type,
        occurred_at=whole_seconds_utc(utcnow()),
        data=data,
        settings=settings,
    )
    session.add(entry)
    session.flush()
    return entry


def _stated(farm: Farm, scheme: str, number: str) -> Mapping[str, Any] | None:
    """The farm's stated certificate with this scheme and number, if it has one."""
    for item in farm.certifications or ():
        if isinstance(item, Mapping) and (item.get("scheme"), item.get("number")) == (
            scheme,
            number,
        ):
            return item
    return None


def _newest_review_type(
    session: Session, *, farm: Farm, certificate: Mapping[str, str]
) -> str | None:
    """The type of the newest review of ``certificate`` on the farm's diary (None: none yet).
    Only a platform rule for refusing a repeat; what a page shows is judged from signatures."""
    rows = session.exec(
        select(FarmDiaryEntry)
        .where(FarmDiaryEntry.farm_id == farm.id, col(FarmDiaryEntry.type).in_(REVIEW_TYPES))
        .order_by(col(FarmDiaryEntry.diary_seq).desc())
    )
    for row in rows:
        if loads_bounded(row.canonical)["data"].get("certificate") == dict(certificate):
            return row.type
    return None
