"""What ``consumer/lot.html`` renders: plain frozen dataclasses, text already chosen.

The template gets product names, event details and verdict reasons already in the page's
language, so it holds no logic beyond layout. Every value that came from a user stays a plain
``str`` here: escaping is the template engine's job (autoescape is always on), never ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from backend.services.labels.scans import ScanSummary
from backend.timeutil import vietnam_text


@dataclass(frozen=True)
class CertificationView:
    scheme: str
    valid_until: str | None  # dd/mm/yyyy
    expired: bool = False  # past its end date (Vietnam's calendar): shown, but as lapsed
    number: str | None = None
    issuer: str | None = None
    #: The regulator whose signed review confirms it (verification.claims); None: self-declared.
    confirmed_by: str | None = None


@dataclass(frozen=True)
class FarmView:
    name: str
    commune: str
    province: str
    growing_area_code: str | None
    certifications: tuple[CertificationView, ...]
    #: A registered growing area holds the code and lists the farm (verification.claims).
    growing_area_confirmed: bool = False


@dataclass(frozen=True)
class AncestorView:
    """One lot up the split/merge line; ``kind`` says how the lot below came from it."""

    code: str
    kind: str  # "split" | "merge"
    is_harvest: bool


@dataclass(frozen=True)
class EventView:
    type: str
    lot_code: str
    occurred_at: datetime
    occurred_at_iso: str
    #: Worded once per event here rather than by a translator call per event in the template
    #: (a journey of a few hundred events spent a tenth of its page's CPU on those calls).
    type_label: str
    verdict_label: str
    actor: str | None
    place: str | None
    details: tuple[str, ...]
    verdict: str
    reason: str | None  # plain-language, only when the event is not verified
    anchored_at: datetime | None = None  # the anchoring block's time, from the chain
    recorded_late: bool = False
    #: "Ký bởi …, khoá 0x12ab…cdef": the key its signature recovers to, once the chain says
    #: that key signed for the organisation (rules v2); None otherwise.
    signed_by: str | None = None
    custody: str | None = None  # who holds that key, as the chain records it

    @property
    def occurred_at_text(self) -> str:
        """The stated time on the wall clock of Đồng Tháp."""
        return vietnam_text(self.occurred_at)

    @property
    def anchored_at_iso(self) -> str | None:
        return self.anchored_at.isoformat() if self.anchored_at else None

    @property
    def anchored_at_text(self) -> str | None:
        return vietnam_text(self.anchored_at) if self.anchored_at else None


@dataclass(frozen=True)
class AnchorView:
    block_number: int | None
    tx_hash: str | None
    tx_url: str | None
    block_url: str | None
    chain_id: int | None
    contract_address: str | None


@dataclass(frozen=True)
class RecallView:
    lot_code: str
    reason: str
    recalled_at: datetime | None


@dataclass(frozen=True)
class LotPageView:
    """Everything ``consumer/lot.html`` renders."""

    verdict: str
    verdict_details: tuple[str, ...]  # which events broke the record, for a tampered lot
    lot_code: str
    product_name: str
    gtin: str | None
    quantity: str
    unit: str
    harvested_at: datetime | None
    farm: FarmView | None
    ancestry: tuple[AncestorView, ...]
    events: tuple[EventView, ...]
    anchors: tuple[AnchorView, ...]
    recall: RecallView | None
    scan: ScanSummary | None
    proof_url: str
    late_after_h: int = 72  # hours after which an event counts as recorded late
    #: The organisation holding the GTIN's GS1 company prefix in the platform's register (not
    #: a fact of the documents: the platform admin registers prefixes against GS1 licences).
    brand_owner: str | None = None
    #: The prefix is registered, but no checked document of the lot's line states its holder's
    #: name (rules v2 show an organisation's name only as a document states it).
    brand_unnamed: bool = False
    #: "1000 kg thu hoạch → 340 kg": harvest kilograms into the lot and what it holds, from
    #: the verified documents of its line (``mass_flow``); None when they cannot say.
    kg_in_out: tuple[str, str] | None = None
    #: The receiver's name while the verified record shows the lot in transit to it.
    in_transit_to: str | None = None
