"""The verification engine: is this lot's record intact, anchored and final?

No verdict is ever cached. What is remembered between calls is chain facts (final anchors, and
the registry's state per block hash: see ``chain_view``) and pure functions of their exact
inputs (proof folds, the check and the hash of stored canonical bytes, a leaf, a signature's
recovered signer), so
on every call each event is judged afresh from its row as stored now: a rules-v2 event by its
stored canonical bytes (``chain_of_events``), a rules-v1 event by its canonical document
rebuilt from the STORED fields (id, lot code from the lot row, type, occurred_at, organisation
slug, location, data); each is hashed, turned into its leaf and checked:

* not in a batch: ``pending`` if the recomputed hash equals the stored one, else ``tampered``;
  a row carrying a leaf or proof without a batch is ``tampered`` (forged);
* in a batch: the stored hash and leaf must match the recomputed ones and the stored proof must
  lead to the batch root (else ``tampered``); then the batch must be confirmed and its root
  on chain with enough confirmations (``verified``). Not yet sent or not yet deep enough:
  ``pending``. Confirmed in the database but missing on chain: ``tampered``, until a reconcile
  has put the batch back to pending, after which it reads ``pending`` while it is re-anchored.

Per lot, every batch its events sit in must still hold as many event rows as were anchored
(the on-chain count when known): fewer means events were deleted, more means rows were forged
into the batch; both make the lot ``tampered``. A recall of the lot (in the database or on
chain) or of any ancestor makes it ``recalled``; events keep their own verdicts. The lot's
verdict is the worst of its events, its batches, its recall and its ancestors (order in
``verdicts``), and its reason names the event or ancestor it comes from.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlmodel import Session

from backend.hashing import (
    HashingError,
    event_hash,
    from_hex,
    leaf_hash,
    lot_key,
    to_hex,
    verify_stored_proof,
)
from backend.models import Batch, BatchStatus, Event, EventType, Lot
from backend.services.anchoring.reconcile import REANCHOR_NOTE
from backend.services.ledger.documents import event_document
from backend.services.verification.chain_of_events import (
    StoredDocument,
    ancestry_problems,
    chain_problems,
    first_document,
    in_lot_order,
    read_stored,
)
from backend.services.verification.chain_view import (
    AnchorFact,
    AnchorState,
    ChainView,
    MilestoneLookup,
)
from backend.services.verification.event_memo import JUDGEMENTS, judgement_key
from backend.services.verification.heads_check import head_problems
from backend.services.verification.lineage import Lineage, LotRecord, load_lineage
from backend.services.verification.results import (
    EventCheck,
    LotCheck,
    RecallInfo,
    Verification,
)
from backend.services.verification.sealed_heads import sealed_head_problems
from backend.services.verification.signature_check import signed_finding
from backend.services.verification.verdicts import SEVERITY, Finding, Verdict, worst_finding
from backend.timeutil import as_utc, rfc3339_z

# ---------------------------------------------------------------------------- entry points


def verify_lot(session: Session, *, code: str, view: ChainView) -> Verification | None:
    """Verify the lot named ``code``; None when there is no such lot (verdict ``unknown``)."""
    lineage = load_lineage(session, code)
    if lineage is None:
        return None
    return verify_lineage(lineage, view)


def verify_lineage(lineage: Lineage, view: ChainView) -> Verification:
    own = check_lot(lineage.record, lineage, view)
    ancestors = [check_lot(record, lineage, view) for record in lineage.ancestors]
    own = _with_ancestry(own, ancestors)
    candidates = [own.finding] + [
        Finding(a.verdict, "in_ancestor", {"lot": a.lot.code, "reason": a.finding})
        for a in ancestors
    ]
    finding = worst_finding(candidates) or own.finding
    if finding.verdict is Verdict.VERIFIED:
        finding = Finding(Verdict.VERIFIED, "lot_verified")
    return Verification(lot=own, ancestors=ancestors, finding=finding, chain=view)


def _with_ancestry(own: LotCheck, ancestors: list[LotCheck]) -> LotCheck:
    """The lot's check with what its documents say of its ancestry (rules v2) added."""
    checks = [own, *ancestors]
    problems = ancestry_problems(
        own.lot.code,
        {c.lot.code: first_document(c.events) for c in checks},
        {c.lot.code: {e.computed_hash for e in c.events if e.computed_hash} for c in checks},
    )
    if not problems:
        return own
    finding = worst_finding([own.finding, *problems]) or own.finding
    return replace(own, finding=finding, problems=[*own.problems, *problems])


# ----------------------------------------------------------------------------- per lot


def check_lot(record: LotRecord, lineage: Lineage, view: ChainView) -> LotCheck:
    lot = record.lot
    key = record.lot_key_bytes
    events = in_lot_order([check_event(e, lot, lineage, view, key=key) for e in record.events])
    problems = batch_problems(record, lineage, view)
    readable = [e for e in events if e.document is not None and e.computed_hash]
    problems += chain_problems([StoredDocument(e.document, e.computed_hash) for e in readable])
    problems += head_problems(
        lot_key=record.lot_key_bytes,
        documents=[(e.document, e.computed_hash) for e in readable],
        anchored=any(_on_chain(e.anchor) for e in readable),
        no_events=not events,
        prove_head=lineage.prove_head,
        view=view,
    )
    key, prove = record.lot_key_bytes, lineage.prove_head
    problems += sealed_head_problems(lot_key=key, events=events, prove_head=prove, view=view)
    recall, recall_finding = recall_status(record, lineage, view, events)
    findings: list[Finding] = []
    named = _worst_event(events)
    if named is not None:
        params = {"event": named.event.id, "type": stated_type(named), "lot": lot.code}
        findings.append(Finding(named.verdict, "in_event", {**params, "reason": named.finding}))
    findings += problems
    if recall_finding is not None:
        findings.append(recall_finding)
    chosen = worst_finding(findings)
    if chosen is None:
        chosen = Finding(Verdict.PENDING, "pending_no_events")
    elif chosen.verdict is Verdict.VERIFIED:
        chosen = Finding(Verdict.VERIFIED, "lot_verified")
    return LotCheck(lot=lot, finding=chosen, events=events, problems=problems, recall=recall)


def _worst_event(events: list[EventCheck]) -> EventCheck | None:
    """The first event of the most severe verdict: the one the lot's reason names (the order
    ``worst_finding`` picks in), found before any finding is built for it."""
    named: EventCheck | None = None
    for check in events:
        if named is None or SEVERITY[check.finding.verdict] > SEVERITY[named.finding.verdict]:
            named = check
    return named


def batch_problems(record: LotRecord, lineage: Lineage, view: ChainView) -> list[Finding]:
    """Deleted or forged rows: each batch must hold as many rows as it anchored."""
    problems: list[Finding] = []
    for batch_id in sorted({e.batch_id for e in record.events if e.batch_id is not None}):
        batch = lineage.batches[batch_id]
        expected = batch.event_count
        if batch.status is BatchStatus.CONFIRMED:
            anchor = view.anchor(batch.root)
            if anchor.event_count is not None and anchor.event_count != batch.event_count:
                problems.append(
                    Finding(
                        Verdict.TAMPERED,
                        "tampered_count_mismatch",
                        {"root": batch.root, "stored": expected, "on_chain": anchor.event_count},
                    )
                )
                expected = anchor.event_count
        present = lineage.rows_per_batch.get(batch_id, 0)
        params = {"root": batch.root, "expected": expected, "present": present}
        if present < expected:
            problems.append(Finding(Verdict.TAMPERED, "tampered_missing_events", params))
        elif present > expected:
            problems.append(Finding(Verdict.TAMPERED, "tampered_extra_events", params))
    return problems


def recall_status(
    record: LotRecord, lineage: Lineage, view: ChainView, events: list[EventCheck]
) -> tuple[RecallInfo | None, Finding | None]:
    """The lot's recall as its recall record and the chain see it (either one is enough).

    The reason and date come from the lot's recall event: its verified document under rules
    v2, its hashed columns under v1. The lot row's recall columns are a copy kept for queries;
    only a lot with no rules-v2 event falls back to them, as rules v1 always did.
    """
    lot = record.lot
    on_chain = view.recalled(record.lot_key)
    recorded = _recall_record(events)
    v1_only = not any(e.document is not None for e in events)
    if recorded is None and v1_only and lot.recalled_at is not None:
        recorded = (rfc3339_z(lot.recalled_at), lot.recall_reason)
    if recorded is None and not on_chain:
        return None, None
    action = lineage.recalls.get(record.lot_key.lower())
    info = RecallInfo(
        lot_code=lot.code,
        recalled_at=recorded[0] if recorded else None,
        reason=recorded[1] if recorded else None,
        on_chain=on_chain,
        tx_hash=view.recall_transaction(record.lot_key, action) if on_chain or action else None,
    )
    if recorded is not None:
        params = {"lot": lot.code, "reason": recorded[1] or ""}
        finding = Finding(Verdict.RECALLED, "recalled", params)
    else:
        finding = Finding(Verdict.RECALLED, "recalled_on_chain", {"lot": lot.code})
    return info, finding


def _recall_record(events: list[EventCheck]) -> tuple[str, str | None] | None:
    """(date, reason) of the lot's newest recall event whose record can be read, if any."""
    for check in reversed(events):
        document = check.document
        if document is not None:
            if document["type"] != str(EventType.RECALL):
                continue
            reason = document["data"].get("reason")
            return document["occurred_at"], reason if isinstance(reason, str) else None
        if check.event.schema_version < 2 and check.event.type == EventType.RECALL:
            reason = (check.event.data or {}).get("reason")
            stated = rfc3339_z(check.event.occurred_at)
            return stated, reason if isinstance(reason, str) else None
    return None


def stated_type(check: EventCheck) -> str:
    """The event's type as its hashed record states it (the document's under rules v2)."""
    return str(check.document["type"]) if check.document else str(check.event.type)


# --------------------------------------------------------------------------- per event


def check_event(
    event: Event, lot: Lot, lineage: Lineage, view: ChainView, *, key: bytes | None = None
) -> EventCheck:
    """The verdict on one event; ``key`` is the lot's key when the caller has it already.
    A rules-v2 event's judgement is remembered by every input it reads (``event_memo``)."""
    batch = lineage.batches.get(event.batch_id) if event.batch_id is not None else None
    milestone = view.milestone_lookup(lot.code, lineage.milestones.get(event.id))
    anchor = view.anchor(batch.root) if batch and batch.status is BatchStatus.CONFIRMED else None
    memo_key = judgement_key(event, lot.code, batch, anchor, view)
    known = JUDGEMENTS.get(memo_key) if memo_key is not None else None
    if known is not None:
        return known.check(event, lot.code, batch, anchor, milestone)
    check = _judge_event(event, lot, lineage, view, batch, anchor, milestone, key)
    if memo_key is not None and view.reachable:  # no chain read failed while judging
        JUDGEMENTS.remember(memo_key, check)
    return check


def _judge_event(
    event: Event,
    lot: Lot,
    lineage: Lineage,
    view: ChainView,
    batch: Batch | None,
    anchor: AnchorFact | None,
    milestone: MilestoneLookup | None,
    key: bytes | None,
) -> EventCheck:
    document: dict[str, Any] | None = None

    def result(finding: Finding, computed: str | None = None) -> EventCheck:
        late = _recorded_late(event, document, anchor, view.late_after_s)
        signer = None
        if document is not None and computed is not None:
            finding, signer = signed_finding(event, document, computed, anchor, finding, view)
        return EventCheck(
            event, lot.code, finding, computed, batch, anchor, milestone, document, late, signer
        )

    if event.schema_version >= 2:
        stored = read_stored(event, lot.code)
        if isinstance(stored, Finding):
            return result(stored)
        document, computed_hex = stored.document, stored.computed_hash
        computed = stored.computed_digest
    else:
        org = lineage.orgs.get(event.org_id)
        try:
            rebuilt = event_document(event, lot_code=lot.code, org_slug=org.slug if org else "")
            computed = event_hash(rebuilt)
        except HashingError as exc:
            return result(Finding(Verdict.TAMPERED, "tampered_unhashable", {"problem": str(exc)}))
        computed_hex = to_hex(computed)
        if computed_hex != (event.event_hash or "").lower():
            return result(Finding(Verdict.TAMPERED, "tampered_hash"), computed_hex)
    if batch is None:
        if event.leaf is not None or event.merkle_proof is not None:
            return result(Finding(Verdict.TAMPERED, "tampered_orphan_proof"), computed_hex)
        return result(Finding(Verdict.PENDING, "pending_unanchored"), computed_hex)
    leaf = _leaf(lot_key(lot.code) if key is None else key, computed)
    return result(_anchored_finding(event, batch, leaf, anchor, view), computed_hex)


@lru_cache(maxsize=16384)
def _leaf(key: bytes, computed: bytes) -> tuple[bytes, str]:
    """The event's leaf (rule 4) as bytes and as ``0x`` hex, by the exact lot key and hash."""
    leaf = leaf_hash(key, computed)
    return leaf, to_hex(leaf)


def _on_chain(anchor: AnchorFact | None) -> bool:
    return anchor is not None and anchor.state in (AnchorState.FINAL, AnchorState.SHALLOW)


def _recorded_late(
    event: Event, document: dict[str, Any] | None, anchor: AnchorFact | None, late_after_s: float
) -> bool:
    """Whether the chain first saw the event more than ``late_after_s`` after its stated time
    (the stated time is the document's for v2, the hashed column for v1)."""
    if anchor is None or anchor.timestamp is None:
        return False
    if document is not None:
        stated = _instant(document["occurred_at"])
    else:
        stated = as_utc(event.occurred_at).timestamp()
    return anchor.timestamp - stated > late_after_s


@lru_cache(maxsize=16384)
def _instant(stated: str) -> float:
    """A document's RFC 3339 time as a POSIX timestamp, by the exact text."""
    return datetime.fromisoformat(stated).timestamp()


def _anchored_finding(
    event: Event,
    batch: Batch,
    computed_leaf: tuple[bytes, str],
    anchor: AnchorFact | None,
    view: ChainView,
) -> Finding:
    leaf, leaf_hex = computed_leaf
    try:
        # The stored leaf as written is the computed one's hex: no parse needed.
        stored_leaf = leaf if event.leaf == leaf_hex else from_hex(event.leaf or "")
        holds = verify_stored_proof(event.merkle_proof or [], batch.root, leaf)
    except (HashingError, TypeError):
        return Finding(Verdict.TAMPERED, "tampered_proof", {"root": batch.root})
    if stored_leaf != leaf:
        return Finding(Verdict.TAMPERED, "tampered_leaf")
    if not holds:
        return Finding(Verdict.TAMPERED, "tampered_proof", {"root": batch.root})
    if batch.status is BatchStatus.FAILED:
        return Finding(Verdict.PENDING, "pending_failed")
    if batch.status is not BatchStatus.CONFIRMED or anchor is None:
        if (batch.last_error or "").startswith(REANCHOR_NOTE):
            return Finding(Verdict.PENDING, "pending_reanchoring")
        return Finding(Verdict.PENDING, "pending_in_batch")
    return _chain_finding(batch, anchor, view)


def _chain_finding(batch: Batch, anchor: AnchorFact, view: ChainView) -> Finding:
    if anchor.state is AnchorState.FINAL:
        depth = anchor.confirmations
        return _verified(anchor.block_number, depth or f"≥{view.confirmations}")
    if anchor.state is AnchorState.SHALLOW:
        return Finding(
            Verdict.PENDING,
            "pending_not_final",
            {
                "block": anchor.block_number if anchor.block_number is not None else "?",
                "confirmations": anchor.confirmations or 0,
                "required": view.confirmations,
            },
        )
    if anchor.state is AnchorState.ABSENT:
        return Finding(Verdict.TAMPERED, "tampered_anchor_missing", {"root": batch.root})
    return Finding(Verdict.PENDING, "pending_chain_unreachable")


@lru_cache(maxsize=1024)
def _verified(block: int | None, confirmations: int | str) -> Finding:
    """One shared finding per block and depth: every event of a batch reads the same, and a
    shared finding renders its reason texts once (``Finding.as_json``)."""
    return Finding(Verdict.VERIFIED, "verified", {"block": block, "confirmations": confirmations})
