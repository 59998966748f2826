"""Output models of ``GET /lots/{code}`` for a lot recorded under proof rules v2.

A rules-v2 record is the rules-v1 record (``backend.schemas.LotPublic``, whose members keep
their names) plus ``rules: 2``, and its facts are read from the documents the verification
checked, not from the rows: product, producer, farm, quantities, harvest time, parents, recall
and every event's type, time, organisation, place and data. Block, transaction and anchoring
time are the chain's answer. A record without ``rules`` follows rules v1 and reads rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from backend.schemas import (
    EventPublic,
    FarmSummary,
    LinkedLotPublic,
    LotPublic,
    OrgPublic,
)


class OrgRef(BaseModel):
    """An organisation as a document names it: its slug and the name the document states."""

    slug: str
    name: str


class ProvenFarmPublic(FarmSummary):
    """The farm as the lot's first document states it. A member the document holds only as a
    commitment (a farm named after its owner, the exact point) is not shown: ``name`` is then
    null, and ``private`` names it (được giữ kín / kept private)."""

    name: str | None  # type: ignore[assignment]
    private: list[str]


class EventPublicV2(EventPublic):
    """An event of a rules-v2 lot, from its checked document (``proven``); when the document
    cannot be read the row's columns are shown, ``proven`` is false and the verification says
    why. ``status``, ``tx_hash``, ``block_number`` and ``anchored_at`` are the chain's answer."""

    seq: int | None
    org_name: str | None
    proven: bool
    tx_hash: str | None
    block_number: int | None
    anchored_at: datetime | None
    recorded_late: bool


class LotPublicV2(LotPublic):
    """``GET /lots/{code}`` for a rules-v2 lot: every fact from the verified documents."""

    rules: Literal[2]
    verdict: str = Field(description="The verification's verdict on the lot and its ancestors.")
    verified_facts: bool = Field(
        description="Whether every fact shown was read from a document whose hash was checked "
        "(false when some document cannot be read: those parts are the rows' and unproven)."
    )
    producer: OrgRef | None
    farm: ProvenFarmPublic | None  # type: ignore[assignment]
    custodian: OrgPublic = Field(
        description="Who holds the lot now, as the database says (operational, not proven)."
    )
    children: list[LinkedLotPublic] = Field(
        description="Lots made from this one, as the database links them (not proven here: "
        "each child's own record names its parents)."
    )
    events: list[EventPublicV2]  # type: ignore[assignment]
