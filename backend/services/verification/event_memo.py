"""The judgement of a rules-v2 event, remembered by every input it is a function of.

Every read judges every event of the lot and of its ancestors afresh: its stored bytes parsed
and hashed, its leaf built and its proof folded to the batch root, its signature recovered and
the signer's record read from the chain, its anchor's depth weighed. For a lot descended from
hundreds of events that work is most of a scan, and it gives the same answer for the same
inputs every time. So the answer is remembered, keyed by all of them:

* every column of the event row the judgement reads (id, schema version, the stored canonical
  bytes, the stored hash, batch id, leaf, proof and signature), as stored now;
* the lot's code, and the batch's root, status and error note;
* the anchor fact (state, block, depth, time, registry) this request read for the batch;
* the chain as this request sees it: chain id, the registry in use and those it replaced, and
  the hash of the head block the request reads the registry at (a signer's record is read at
  that block, and a block hash names one immutable state), with the reader's depth and
  late-record policy.

A row edited behind the application's back, a batch re-anchored, a deeper block, a new head,
a revocation in a new block: each changes the key, so the event is judged again. Nothing is
keyed by lot or event id alone, and no verdict outlives the head block it was read at. When
the chain cannot be asked (no head, or a read failing during the judgement) nothing is
remembered: those verdicts say ``pending`` for a reason that may pass.

Rules-v1 events are judged without the memo: their record is rebuilt from columns that hold
JSON (not hashable as read) and the organisation's row; they are the legacy minority.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from backend.models import Batch, Event
from backend.services.verification.chain_view import AnchorFact, ChainView, MilestoneLookup
from backend.services.verification.results import EventCheck
from backend.services.verification.signatures import Signer
from backend.services.verification.verdicts import Finding

#: Judgements kept per process. An entry holds the event's canonical bytes, its parsed document
#: and its key's texts: about 5 KB, measured over the 3,020 events of a lot whose ancestors hold
#: 3,000 (15 MB). 8,192 entries (about 40 MB) cover that ancestry, or the journeys of a few
#: hundred lots of ordinary length.
MEMO_SIZE = 8192


@dataclass(frozen=True, slots=True)
class Judgement:
    """What the engine concludes about one event, apart from the row and chain facts it
    already holds: shared read-only between the requests that find the same key."""

    finding: Finding
    computed_hash: str | None
    document: dict[str, Any] | None
    recorded_late: bool
    signer: Signer | None

    def check(
        self,
        event: Event,
        lot_code: str,
        batch: Batch | None,
        anchor: AnchorFact | None,
        milestone: MilestoneLookup | None,
    ) -> EventCheck:
        """The check of ``event`` this judgement stands for, with this request's row and facts."""
        return EventCheck(
            event,
            lot_code,
            self.finding,
            self.computed_hash,
            batch,
            anchor,
            milestone,
            self.document,
            self.recorded_late,
            self.signer,
        )


class JudgementMemo:
    """A bounded, thread-safe map from judgement keys to judgements; the oldest entry goes
    first when it is full (requests run in a thread pool)."""

    def __init__(self, size: int = MEMO_SIZE) -> None:
        self._size = size
        self._entries: dict[Hashable, Judgement] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Judgement | None:
        """The judgement kept under ``key``; None when there is none or when ``key`` holds a
        value no key can (then nothing is kept under it either: see :meth:`remember`)."""
        try:
            return self._entries.get(key)
        except TypeError:
            return None

    def remember(self, key: Hashable, check: EventCheck) -> None:
        """Keep what ``check`` concluded under ``key``."""
        judgement = Judgement(
            check.finding, check.computed_hash, check.document, check.recorded_late, check.signer
        )
        try:
            hash(key)
        except TypeError:
            return
        with self._lock:
            entries = self._entries
            entries[key] = judgement
            while len(entries) > self._size:
                del entries[next(iter(entries))]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


JUDGEMENTS = JudgementMemo()


def judgement_key(
    event: Event,
    lot_code: str,
    batch: Batch | None,
    anchor: AnchorFact | None,
    view: ChainView,
) -> tuple[Hashable, ...] | None:
    """Every input of the event's judgement, or None when it must be judged unremembered
    (a rules-v1 event, a proof column that is not a list, no chain head at hand)."""
    if event.schema_version < 2:
        return None
    proof = _proof_key(event.merkle_proof)
    if proof is False:
        return None
    chain = view.head_identity()
    if chain is None:
        return None
    canonical = event.canonical
    return (
        event.id,
        event.schema_version,
        None if canonical is None else bytes(canonical),
        event.event_hash,
        event.batch_id,
        event.leaf,
        proof,
        getattr(event, "signature", None),
        lot_code,
        None if batch is None else (batch.root, batch.status, batch.last_error),
        anchor,
        chain,
        view.replaced_registries,
        view.contract_address,
        view.confirmations,
        view.late_after_s,
    )


def _proof_key(proof: object) -> tuple[Any, ...] | bool | None:
    """The stored proof as a key's part: its steps as a tuple; False when it is not a list
    (the judgement then runs unremembered and says what is wrong with it). A step no key
    can hold (a JSON object) is found by the look-up itself (:meth:`JudgementMemo.get`)."""
    if proof is None:
        return None
    return tuple(proof) if type(proof) is list else False
