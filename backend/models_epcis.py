"""Tables of the EPCIS 2.0 interface: capture jobs, and the index the query interface reads.

Kept beside ``backend/models.py``; ``backend/db.py`` imports this module, so the tables register
with the metadata wherever a database is opened or migrated. The events themselves stay
SenTrace events (their documents are what is proven); these rows only name them the EPCIS way:

  EpcisCaptureJob                      one ``POST /epcis/capture`` and what became of it
  EpcisEvent ─< EpcisIdentifier        an EPCIS event by its eventID, with the fields queried
  EpcisEvent ─< EpcisSource            the SenTrace events it is recorded as (one per lot)

A captured event keeps the body it arrived with (``body``), so that an export gives it back as
it was; an event SenTrace recorded itself is indexed from its proven document (``body`` None).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index
from sqlmodel import Field, SQLModel

from backend.timeutil import utcnow


class EpcisCaptureJob(SQLModel, table=True):
    """A capture request: when, by whom, how many events, and the outcome."""

    __tablename__ = "epcis_capture_job"

    id: str = Field(primary_key=True, max_length=36)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    document_sha256: str = Field(max_length=64)
    event_count: int = 0
    imported: int = 0  # events recorded by this job
    duplicates: int = 0  # events whose eventID was already captured (idempotent)
    success: bool = False
    errors: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    finished_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class EpcisEvent(SQLModel, table=True):
    """An EPCIS event by its eventID (captured, or indexed from a SenTrace document)."""

    __tablename__ = "epcis_event"
    __table_args__ = (Index("ix_epcis_event_time", "event_time", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(unique=True, max_length=300)
    lot_id: int = Field(foreign_key="lot.id", index=True)  # the lot it is read through
    event_type: str = Field(max_length=40)
    event_time: datetime = Field(sa_type=DateTime(timezone=True))  # UTC, milliseconds kept
    biz_step: str | None = Field(default=None, max_length=300, index=True)  # full CBV URI
    biz_location: str | None = Field(default=None, max_length=300, index=True)  # canonical
    body: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    capture_id: str | None = Field(default=None, foreign_key="epcis_capture_job.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class EpcisIdentifier(SQLModel, table=True):
    """An identifier an EPCIS event names, canonical (Digital Link where GS1's): ``epc`` for
    instance-level (epcList, parentID, childEPCs, input/output EPCs), ``class`` for the
    epcClass of a quantity element."""

    __tablename__ = "epcis_identifier"

    epcis_event_id: int = Field(foreign_key="epcis_event.id", primary_key=True)
    kind: str = Field(primary_key=True, max_length=8)
    uri: str = Field(primary_key=True, max_length=300, index=True)


class EpcisSource(SQLModel, table=True):
    """A SenTrace event recorded for (or indexed as) an EPCIS event."""

    __tablename__ = "epcis_source"

    sentrace_event_id: str = Field(foreign_key="event.id", primary_key=True, max_length=36)
    epcis_event_id: int = Field(foreign_key="epcis_event.id", index=True)
