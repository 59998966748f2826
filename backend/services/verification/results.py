"""What a verification found: per event, per lot, and for a lot with its ancestors.

Plain results the engine (``engine``) fills and the pages, the API and the proof bundle read;
``as_json`` is the public verification document.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from typing import Any

from backend.models import EVENT_KIND_CODES, Batch, Event, EventType, Lot
from backend.services.verification.chain_view import (
    AnchorFact,
    AnchorState,
    ChainView,
    MilestoneLookup,
)
from backend.services.verification.signatures import Signer
from backend.services.verification.verdicts import Finding, Verdict
from backend.timeutil import rfc3339_z, utcnow


@dataclass(frozen=True)
class EventCheck:
    """The verdict on one event and the facts it rests on."""

    event: Event
    lot_code: str
    finding: Finding
    computed_hash: str | None
    batch: Batch | None
    anchor: AnchorFact | None
    #: Asks the chain for the event's own milestone; None when none was queued for it.
    milestone: MilestoneLookup | None
    #: The rules-v2 document read from the stored bytes (None for v1 events).
    document: dict[str, Any] | None = None
    #: Anchored later than the reader's threshold after it says it happened.
    recorded_late: bool = False
    #: Rules v2: the key its signature recovers to, with the custody the chain records.
    signer: Signer | None = None

    @property
    def anchored_at(self) -> datetime | None:
        """When the chain says the event's batch was anchored (its block's time)."""
        stamp = self.anchor.timestamp if self.anchor is not None else None
        return None if stamp is None else datetime.fromtimestamp(stamp, UTC)

    @property
    def verdict(self) -> Verdict:
        return self.finding.verdict

    @cached_property
    def milestone_fact(self) -> AnchorFact | None:
        """Where the chain holds the event's own milestone log, asked with the hash computed
        from its record and the type that record states, never with the outbox row's
        transaction (a copy anyone with the database can rewrite). None when no milestone
        was queued for the event or its record cannot be read."""
        if self.milestone is None or self.computed_hash is None:
            return None
        try:
            stated = EventType(self.document["type"] if self.document else self.event.type)
        except ValueError:
            return None
        return self.milestone(EVENT_KIND_CODES[stated], self.computed_hash)

    def as_json(self) -> dict[str, Any]:
        batch, anchor, milestone = self.batch, self.anchor, self.milestone_fact
        on_chain = anchor is not None and anchor.state in (AnchorState.FINAL, AnchorState.SHALLOW)
        document = self.document
        # A rules-v2 event says what its verified document says; a v1 event's columns are
        # what its hash covers.
        stated_type = document["type"] if document else str(self.event.type)
        stated_at = document["occurred_at"] if document else rfc3339_z(self.event.occurred_at)
        return {
            "id": self.event.id,
            "lot": self.lot_code,
            "type": stated_type,
            "occurred_at": stated_at,
            **({"seq": document["seq"]} if document else {}),
            "verdict": str(self.verdict),
            **self.finding.reason_fields,
            "event_hash": self.event.event_hash,
            "computed_hash": self.computed_hash,
            "batch_root": batch.root if batch else None,
            "batch_status": str(batch.status) if batch else None,
            "tx_hash": anchor.tx_hash
            if on_chain and anchor
            else (batch.tx_hash if batch else None),
            "block_number": (
                anchor.block_number
                if on_chain and anchor
                else (batch.block_number if batch else None)
            ),
            "milestone_tx_hash": milestone.tx_hash if milestone else None,
            "milestone_status": milestone_status(milestone),
            "anchored_at": _block_time_text(anchor.timestamp) if anchor else None,
            "recorded_late": self.recorded_late,
            **({"signer": self.signer.as_json() if self.signer else None} if document else {}),
        }


@lru_cache(maxsize=1024)
def _block_time_text(timestamp: int | None) -> str | None:
    """A block's time as the answer states it; every event of a batch shares its block's."""
    return None if timestamp is None else rfc3339_z(datetime.fromtimestamp(timestamp, UTC))


#: A milestone's status as the chain states it, in the outbox's words: ``confirmed`` (final),
#: ``sent`` (on chain, not final yet), ``pending`` (the chain holds none yet), ``unknown``.
_MILESTONE_STATUS = {
    AnchorState.FINAL: "confirmed",
    AnchorState.SHALLOW: "sent",
    AnchorState.ABSENT: "pending",
    AnchorState.UNKNOWN: "unknown",
}


def milestone_status(fact: AnchorFact | None) -> str | None:
    """The status shown for a milestone: the chain's answer (None: no milestone)."""
    return _MILESTONE_STATUS[fact.state] if fact is not None else None


@dataclass(frozen=True)
class RecallInfo:
    lot_code: str
    recalled_at: str | None
    reason: str | None
    on_chain: bool | None
    tx_hash: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "lot": self.lot_code,
            "recalled_at": self.recalled_at,
            "reason": self.reason,
            "on_chain": self.on_chain,
            "tx_hash": self.tx_hash,
        }


@dataclass(frozen=True)
class LotCheck:
    """One lot's own verdict (its events, batches and recall; ancestors not included)."""

    lot: Lot
    finding: Finding
    events: list[EventCheck]
    problems: list[Finding]
    recall: RecallInfo | None

    @property
    def verdict(self) -> Verdict:
        return self.finding.verdict

    def as_json(self) -> dict[str, Any]:
        return {
            "lot": self.lot.code,
            "verdict": str(self.verdict),
            **self.finding.as_json(),
            "events": [e.as_json() for e in self.events],
            "problems": [{"verdict": str(p.verdict), **p.as_json()} for p in self.problems],
            "recall": self.recall.as_json() if self.recall else None,
        }


@dataclass(frozen=True)
class Verification:
    """The answer for a lot: its check, its ancestors' checks and the combined verdict."""

    lot: LotCheck
    ancestors: list[LotCheck]
    finding: Finding
    chain: ChainView

    @property
    def verdict(self) -> Verdict:
        return self.finding.verdict

    @property
    def recall(self) -> RecallInfo | None:
        """The nearest recall: the lot's own, else the first recalled ancestor's."""
        for check in (self.lot, *self.ancestors):
            if check.recall is not None:
                return check.recall
        return None

    def tampered_events(self) -> list[EventCheck]:
        return [
            e
            for c in (self.lot, *self.ancestors)
            for e in c.events
            if e.verdict is Verdict.TAMPERED
        ]

    def as_json(self) -> dict[str, Any]:
        recall = self.recall
        return {
            "lot": self.lot.lot.code,
            "verdict": str(self.verdict),
            **self.finding.as_json(),
            "events": [e.as_json() for e in self.lot.events],
            "problems": [{"verdict": str(p.verdict), **p.as_json()} for p in self.lot.problems],
            "ancestors": [a.as_json() for a in self.ancestors],
            "recall": recall.as_json() if recall else None,
            "chain": {
                "reachable": self.chain.reachable,
                "chain_id": self.chain.chain_id,
                "contract_address": self.chain.contract_address,
                "confirmations_required": self.chain.confirmations,
            },
            "checked_at": rfc3339_z(utcnow()),
        }
