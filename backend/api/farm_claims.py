"""A regulator's review of a farm's stated certificates: confirm one, or withdraw the confirmation.

Both are signed entries of the farm's diary (the 428 draft → signatures protocol of
``api.writes``), so no one but a regulator holding its key can make a certificate read
"confirmed" on a consumer page.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from backend.api.deps import CurrentOrg, SessionDep, SettingsDep, WriteDep
from backend.schemas_compliance import (
    CertificationConfirmationCreate,
    CertificationRevocationCreate,
    DiaryEntryPublic,
    diary_entry_public,
)
from backend.services.compliance import claims

router = APIRouter(prefix="/api/v1/farms", tags=["certificates"])


@router.post(
    "/{code}/certification-confirmations", status_code=201, response_model=DiaryEntryPublic
)
def confirm_certification(
    code: str,
    body: CertificationConfirmationCreate,
    org: CurrentOrg,
    session: SessionDep,
    settings: SettingsDep,
    write: WriteDep,
) -> JSONResponse:
    """A regulator confirms one of the farm's stated certificates (its scheme and number)."""

    def action() -> DiaryEntryPublic:
        entry = claims.record_review(
            session,
            org=org,
            farm_code=code,
            scheme=body.scheme,
            number=body.number,
            confirm=True,
            text=body.note,
            settings=settings,
        )
        return diary_entry_public(entry)

    return write.run(action)


@router.post("/{code}/certification-revocations", status_code=201, response_model=DiaryEntryPublic)
def revoke_certification(
    code: str,
    body: CertificationRevocationCreate,
    org: CurrentOrg,
    session: SessionDep,
    settings: SettingsDep,
    write: WriteDep,
) -> JSONResponse:
    """A regulator withdraws its confirmation of a certificate, with the reason."""

    def action() -> DiaryEntryPublic:
        entry = claims.record_review(
            session,
            org=org,
            farm_code=code,
            scheme=body.scheme,
            number=body.number,
            confirm=False,
            text=body.reason,
            settings=settings,
        )
        return diary_entry_public(entry)

    return write.run(action)
