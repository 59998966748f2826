"""Recording a farm's season diary: inputs applied by the cooperative, overrides by a regulator.

Every entry is a signed ``sentrace/farm-diary@1`` document (proof rules section 13), chained
per farm: the farm's row is locked while the next ``seq`` is taken, as a lot's is for its
events. The operator's name is a person's name, so it enters the document only as a commitment
whose value and salt stay on the row for authorised readers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, update
from sqlmodel import Session, col, select

from backend.config import Settings
from backend.entropy import new_uuid
from backend.errors import InvalidInput, NotFound
from backend.hashing import NonCanonicalValue, canonical_bytes, commit, event_hash, new_salt, to_hex
from backend.hashing.diary import diary_document
from backend.i18n.messages import message
from backend.models import DiaryEntryType, Farm, FarmDiaryEntry, Organisation
from backend.services import validation
from backend.services.accounts import permissions
from backend.services.compliance.inputs import InputApplication
from backend.services.compliance.phi import running_intervals
from backend.services.signing import sign_diary_entry
from backend.timeutil import rfc3339_z, utcnow, whole_seconds_utc

UNKNOWN_FARM = message("ledger.unknown_farm")

_FARM_TABLE = cast(Table, Farm.__table__)
_FARM_FOR_UPDATE = select(Farm).where(Farm.code == bindparam("code")).with_for_update()
_TAKE_SQLITE_WRITE_LOCK = (
    update(_FARM_TABLE)
    .where(_FARM_TABLE.c.code == bindparam("farm_code"))
    .values(id=_FARM_TABLE.c.id)
)


def lock_farm(session: Session, code: Any) -> Farm:
    """The farm named in the URL, locked against concurrent diary writers (404 if none)."""
    farm = None
    if isinstance(code, str):
        if session.get_bind().dialect.name == "sqlite":
            session.execute(_TAKE_SQLITE_WRITE_LOCK, {"farm_code": code})
        farm = session.exec(_FARM_FOR_UPDATE, params={"code": code}).first()
    if farm is None:
        raise NotFound(UNKNOWN_FARM)
    return farm


def record_input(
    session: Session,
    *,
    org: Organisation,
    farm_code: str,
    application: InputApplication,
    settings: Settings,
) -> FarmDiaryEntry:
    """An input application on a farm the calling cooperative owns, signed and stored."""
    permissions.require_role(org, permissions.FARM_OWNERS)
    farm = lock_farm(session, farm_code)
    permissions.require_farm_owner(org, farm)
    salt = new_salt()
    data = application.document_data(commit(application.operator, salt))
    entry = new_entry(
        session,
        farm=farm,
        org=org,
        entry_type=DiaryEntryType.INPUT_APPLICATION,
        occurred_at=application.applied_at,
        data=data,
        settings=settings,
    )
    entry.input_product = application.product
    entry.batch_number = application.batch_number
    entry.interval_ends_at = application.applied_at + timedelta(
        days=application.pre_harvest_interval_days
    )
    entry.disclosures = {"data.operator": {"value": application.operator, "salt": to_hex(salt)}}
    session.add(entry)
    session.flush()
    return entry


def record_override(
    session: Session,
    *,
    org: Organisation,
    farm_code: str,
    reason: Any,
    settings: Settings,
) -> FarmDiaryEntry:
    """A regulator waives every interval running on the farm now, with its written reason;
    the next harvest it covers spends it (and its lot is held until they end)."""
    permissions.require_role(org, permissions.PHI_OVERRIDERS)
    text = validation.required_text(reason, field="reason", max_length=1000, multiline=True)
    farm = lock_farm(session, farm_code)
    now = whole_seconds_utc(utcnow())
    waived = running_intervals(session, farm=farm, at=now)
    if not waived:
        raise InvalidInput(message("compliance.phi.nothing_to_override"), field="farm")
    data = {
        "reason": text,
        "waives": [
            {
                "entry": row.entry_id,
                "entry_hash": row.entry_hash,
                "product": row.input_product or "",
                "interval_ends_at": rfc3339_z(row.interval_ends_at or now),
            }
            for row in waived
        ],
    }
    entry = new_entry(
        session,
        farm=farm,
        org=org,
        entry_type=DiaryEntryType.PHI_OVERRIDE,
        occurred_at=now,
        data=data,
        settings=settings,
    )
    session.add(entry)
    session.flush()
    return entry


def new_entry(
    session: Session,
    *,
    farm: Farm,
    org: Organisation,
    entry_type: DiaryEntryType,
    occurred_at: datetime,
    data: dict[str, Any],
    settings: Settings,
) -> FarmDiaryEntry:
    """The next entry of ``farm``'s diary: document, hash and signature (the farm is locked)."""
    newest = session.exec(
        select(FarmDiaryEntry)
        .where(FarmDiaryEntry.farm_id == farm.id)
        .order_by(col(FarmDiaryEntry.diary_seq).desc())
        .limit(1)
    ).first()
    seq = 1 if newest is None else newest.diary_seq + 1
    entry_id = new_uuid()
    try:
        document = diary_document(
            entry_id=entry_id,
            farm_code=farm.code,
            seq=seq,
            prev=None if newest is None else newest.entry_hash,
            entry_type=entry_type.value,
            occurred_at=occurred_at,
            org_slug=org.slug,
            org_name=org.name,
            data=data,
        )
        raw = canonical_bytes(document)
    except NonCanonicalValue as exc:  # validation should have caught it; say where, not 500
        raise InvalidInput(message("validation.unhashable", tail=exc), field=exc.path) from exc
    digest = to_hex(event_hash(document))
    signature, signer = sign_diary_entry(
        session,
        farm_code=farm.code,
        seq=seq,
        entry_hash=digest,
        document=document,
        org=org,
        settings=settings,
    )
    assert farm.id is not None and org.id is not None
    return FarmDiaryEntry(
        entry_id=entry_id,
        farm_id=farm.id,
        org_id=org.id,
        type=entry_type.value,
        diary_seq=seq,
        prev_hash=document["prev"],
        occurred_at=occurred_at,
        canonical=raw,
        entry_hash=digest,
        signature=signature,
        signer=signer,
    )


def readable_farm(session: Session, *, org: Organisation, farm_code: str) -> Farm:
    """The farm, for its owner and for regulators (404 unknown, 403 anyone else)."""
    farm = session.exec(select(Farm).where(Farm.code == farm_code)).first()
    if farm is None:
        raise NotFound(UNKNOWN_FARM)
    if not permissions.reads_everything(org):
        permissions.require_farm_owner(org, farm)
    return farm


def entries(session: Session, *, org: Organisation, farm_code: str) -> list[FarmDiaryEntry]:
    """Every entry of the farm's diary, oldest first: for its owner and for regulators."""
    farm = readable_farm(session, org=org, farm_code=farm_code)
    query = select(FarmDiaryEntry).where(FarmDiaryEntry.farm_id == farm.id)
    return list(session.exec(query.order_by(col(FarmDiaryEntry.diary_seq))))
