"""What a rules-v2 lot's checked documents state: the facts every surface shows of the lot.

Rules v2 put every fact a page states about a lot under the hash of the lot's first event
(``lot_facts``: product, producer, farm, quantity, harvest time; ``parents`` for a derived lot)
and every event's own facts under its own hash. The functions here read those facts from the
documents the verification engine checked (:attr:`EventCheck.document`) and anchoring facts from
the chain's answer (:attr:`EventCheck.anchor`), never from the rows beside them: a row only says
where a document is, and anyone with the database can edit it. A lot recorded under rules v1
has no documents, and its surfaces read rows as they always did.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from backend.hashing import is_commitment
from backend.models import Event, EventType
from backend.services.validation import plain_decimal
from backend.services.verification.chain_of_events import first_document
from backend.services.verification.chain_view import AnchorFact, AnchorState
from backend.services.verification.results import EventCheck, LotCheck, Verification
from backend.timeutil import as_utc

#: The members of a farm that a document may hold as commitments, in the order shown.
FARM_PRIVATE_MEMBERS = ("name", "point")


@dataclass(frozen=True)
class ProvenFarm:
    """The farm as the lot's first document states it; ``name`` is None when kept private."""

    code: str
    name: str | None
    commune: str
    province: str
    growing_area_code: str | None
    certifications: list[dict[str, Any]]
    #: Members held only as commitments (``name``, ``point``): not shown, said to be private.
    private: tuple[str, ...]


@dataclass(frozen=True)
class ProvenParent:
    """A parent lot the lot's first document names, with how it came from it."""

    code: str
    kind: str
    quantity: str | None


@dataclass(frozen=True)
class ProvenLot:
    """A rules-v2 lot's facts, each read from a document whose hash the engine checked."""

    product_code: str
    product_name: str
    product_name_en: str | None
    gtin: str | None
    producer_org: str
    producer_name: str
    farm: ProvenFarm | None
    quantity: str
    unit: str
    harvested_at: datetime | None
    #: The quantity less what the lot's own split and merge documents say they took out.
    remaining: str
    parents: tuple[ProvenParent, ...]
    #: The lot's own recall document (when, why), if it has one.
    recall: Mapping[str, Any] | None
    #: The lot's checked events in the order they say they happened.
    events: tuple[EventCheck, ...]
    #: Whether every event of the lot has a readable document (else some are shown from rows,
    #: and the verification names them).
    complete: bool

    def product_label(self, lang: str) -> str:
        """The English name on English pages when the document gives one, else the Vietnamese."""
        return self.product_name_en if lang == "en" and self.product_name_en else self.product_name

    @property
    def recalled_at(self) -> datetime | None:
        return None if self.recall is None else datetime.fromisoformat(self.recall["occurred_at"])

    @property
    def recall_reason(self) -> str | None:
        reason = None if self.recall is None else self.recall["data"].get("reason")
        return reason if isinstance(reason, str) else None


def follows_rules_v2(events: Iterable[Event]) -> bool:
    """Whether a lot's events were recorded under rules v2 (a lot's history is all one rule)."""
    return any(event.schema_version >= 2 for event in events)


def proven_lot(lot_check: LotCheck) -> ProvenLot | None:
    """The lot's facts from its own checked documents; None when its first document is not
    readable (tampered or missing), and then nothing about the lot is proven."""
    first = first_document(lot_check.events)
    if first is None:
        return None
    facts = first["lot_facts"]
    product, producer = facts["product"], facts["producer"]
    events = in_stated_order(lot_check.events)
    documents = [check.document for check in events if check.document is not None]
    stated = facts["harvested_at"]
    return ProvenLot(
        product_code=product["code"],
        product_name=product["name"],
        product_name_en=product["name_en"],
        gtin=product["gtin"],
        producer_org=producer["org"],
        producer_name=producer["name"],
        farm=None if facts["farm"] is None else _farm(facts["farm"]),
        quantity=facts["quantity"],
        unit=facts["unit"],
        harvested_at=datetime.fromisoformat(stated) if stated else None,
        remaining=_remaining(facts["quantity"], documents),
        parents=_parents(first),
        recall=next((d for d in documents if d["type"] == EventType.RECALL), None),
        events=tuple(events),
        complete=len(documents) == len(events),
    )


def _farm(farm: Mapping[str, Any]) -> ProvenFarm:
    name = farm["name"]
    return ProvenFarm(
        code=farm["code"],
        name=None if is_commitment(name) else name,
        commune=farm["commune"],
        province=farm["province"],
        growing_area_code=farm["growing_area_code"],
        certifications=list(farm["certifications"]),
        private=tuple(m for m in FARM_PRIVATE_MEMBERS if is_commitment(farm[m])),
    )


def _parents(first: Mapping[str, Any]) -> tuple[ProvenParent, ...]:
    """The parents the first document names; a split child's document gives the quantity it
    took, a merged lot's gives each source's."""
    data = first["data"]
    quantities: dict[Any, Any] = {data.get("parent"): data.get("quantity")}
    sources = data.get("sources")
    if isinstance(sources, list):
        quantities = {s.get("code"): s.get("quantity") for s in sources if isinstance(s, dict)}
    return tuple(
        ProvenParent(code=p["lot"], kind=first["type"], quantity=_text(quantities.get(p["lot"])))
        for p in first.get("parents") or ()
    )


def _remaining(quantity: str, documents: Sequence[Mapping[str, Any]]) -> str:
    """What the lot's split and merge documents leave of ``quantity`` (as the links would)."""
    left = Decimal(quantity)
    for document in documents:
        data = document["data"]
        if document["type"] == EventType.SPLIT and isinstance(data.get("children"), list):
            left -= sum((_amount(c.get("quantity")) for c in data["children"]), Decimal(0))
        elif document["type"] == EventType.MERGE and isinstance(data.get("into"), str):
            left -= _amount(data.get("quantity"))
    return plain_decimal(left.normalize())


def _amount(value: Any) -> Decimal:
    try:
        return Decimal(value) if isinstance(value, str) else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def proven_lot_facts(verification: Verification) -> Mapping[str, Any] | None:
    """The ``lot_facts`` of the first rules-v2 document in the lot's line whose own check
    passed hashing (the lot's, else the nearest ancestor's): what a page may state as proven.
    None for a line recorded under rules v1, whose facts come from rows as before."""
    for lot_check in (verification.lot, *verification.ancestors):
        document = first_document(lot_check.events)
        if document is not None:
            facts: Mapping[str, Any] = document["lot_facts"]
            return facts
    return None


def proven_org_names(verification: Verification) -> dict[str, str]:
    """Organisation names by slug, as the lot's and its ancestors' documents state them (the
    recorder of each event and each lot's producer): how a transfer's slugs are named."""
    names: dict[str, str] = {}
    for lot_check in (verification.lot, *verification.ancestors):
        for check in lot_check.events:
            document = check.document
            if document is None:
                continue
            names.setdefault(document["org"], document["org_name"])
            producer = (document.get("lot_facts") or {}).get("producer")
            if producer is not None:
                names.setdefault(producer["org"], producer["name"])
    return names


def stated_time(check: EventCheck) -> datetime:
    """When the event says it happened: the document's time for v2, the hashed column for v1."""
    if check.document is not None:
        return datetime.fromisoformat(check.document["occurred_at"])
    return as_utc(check.event.occurred_at)


def in_stated_order(checks: Iterable[EventCheck]) -> list[EventCheck]:
    """Checks by the time their events say they happened, then by their place in the lot."""
    return sorted(checks, key=lambda c: (stated_time(c), _place(c)))


def _place(check: EventCheck) -> int:
    if check.document is not None:
        seq: int = check.document["seq"]
        return seq
    return check.event.lot_seq or check.event.seq or 0


def chain_anchor(check: EventCheck) -> AnchorFact | None:
    """The chain's own answer for the event's batch (block, transaction, time) when the chain
    holds it; None when it does not or could not be asked. Never the batch row's columns."""
    anchor = check.anchor
    if anchor is None or anchor.state not in (AnchorState.FINAL, AnchorState.SHALLOW):
        return None
    return anchor
