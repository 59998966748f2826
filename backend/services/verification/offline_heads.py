"""Rules v2 completeness, offline: every document from the proven head down to seq 1, nothing else.

Each event holding against an anchored root (``offline_checks``) says nothing of the events a
bundle leaves out. Under rules v2 the chain holds one root over every lot's newest anchored
event (the heads map), so, lot by lot (docs/proof-rules.md, section 7, steps 4, 5 and 7):

1. the bundle's heads root must be the one the registry holds NOW. An older one that the
   registry once held makes the bundle out of date (exit 2, "download it again"): an old root
   proves only an old head, and accepting it would hide whatever was anchored since. One the
   registry never held is forged (exit 1);
2. the lot's head proof must fold to that root, in Python and in the registry's own
   ``verifyHead`` (or ``verifyNoHead`` for a lot with nothing anchored), and the document it
   names must be in the bundle;
3. walking ``prev`` from the head down to seq 1 must meet every document: each one missing is
   named by its seq, each link that does not hold by the seq that breaks it, and a document off
   that chain is one the chain does not know;
4. documents after the head must continue the chain and be not yet anchored.

Ancestry (the parents a lot's first document names) is checked in ``offline_ancestry`` with
the histories walked here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from backend.hashing import (
    SCHEMA,
    HashingError,
    from_hex,
    head_leaf,
    lot_key,
    to_hex,
    verify_head,
    verify_no_head,
)
from backend.services.verification.offline_ancestry import check_ancestry
from backend.services.verification.offline_report import (
    BundleResult,
    EventResult,
    Outcome,
    unreachable,
)
from backend.services.verification.offline_rpc import ChainUnreachable, Registry
from backend.services.verification.verdicts import Finding, Verdict

ZERO = bytes(32)


@dataclass
class LotChain:
    """One lot read under rules v2: its entry in ``lots`` and its readable documents."""

    code: str
    key: bytes
    entry: dict[str, Any]
    events: list[EventResult] = field(default_factory=list)


@dataclass(frozen=True)
class Head:
    """A proven head: its seq (0 when the chain holds none) and its document."""

    seq: int
    event: EventResult | None


def check_completeness(
    bundle: dict[str, Any],
    result: BundleResult,
    registry: Registry | None,
    rules: dict[str, str],
    from_block: int,
) -> None:
    """Add to ``result`` whatever keeps each rules v2 lot of ``bundle`` from being complete."""
    lots = _v2_lots(bundle, result, rules)
    heads = bundle.get("heads") if isinstance(bundle.get("heads"), dict) else {}
    claimed = _bytes32_or_none(heads.get("heads_root"))
    anchored = any(e.outcome is Outcome.VALID for lot in lots.values() for e in lot.events)
    if claimed is None and anchored:
        result.problems.append(Finding(Verdict.TAMPERED, "proof_no_heads_root"))
    root = None
    if claimed is not None and registry is not None and lots:
        root = _current_root(claimed, result, registry, from_block)
    histories: dict[str, set[bytes]] = {}
    for lot in lots.values():
        _check_order(lot, result)
        head = None
        if root is not None and registry is not None:
            head = _proven_head(lot, root, registry, result)
        histories[lot.code] = _walk(lot, head, result)
    for event in result.events:
        if event.document is None and event.digest is not None:  # rules v1 lots
            histories.setdefault(event.lot, set()).add(event.digest)
    check_ancestry(bundle, result, {code: lot.events for code, lot in lots.items()}, histories)


def _v2_lots(
    bundle: dict[str, Any], result: BundleResult, rules: dict[str, str]
) -> dict[str, LotChain]:
    """Every lot read under rules v2 (listed so, or holding a v2 document), with its documents."""
    entries = {
        str(item.get("code")): item for item in bundle.get("lots") or [] if isinstance(item, dict)
    }
    lots: dict[str, LotChain] = {}

    def lot(code: str) -> LotChain | None:
        if code not in lots:
            try:
                key = lot_key(code)
            except HashingError:
                return None
            lots[code] = LotChain(code, key, entries.get(code, {}))
        return lots[code]

    for code in entries:
        if rules.get(code) != SCHEMA:
            lot(code)
    for event in result.events:
        if event.document is not None:
            chain = lot(event.document["lot"])
            if chain is not None:
                chain.events.append(event)
    return lots


def _current_root(
    claimed: bytes, result: BundleResult, registry: Registry, from_block: int
) -> bytes | None:
    """``claimed`` when it is the registry's current heads root; else None, with the problem
    (never held: forged) or notice (once held: out of date; unreachable) said on ``result``."""
    try:
        chain_root = registry.heads_root()
        if claimed == chain_root:
            return claimed
        block = 0 if claimed == ZERO else registry.heads_root_block(claimed, from_block=from_block)
    except ChainUnreachable as exc:
        result.notices.append(unreachable(result, registry, exc))
        return None
    if block is None:
        params = {"root": to_hex(claimed), "contract": result.contract}
        result.problems.append(Finding(Verdict.TAMPERED, "proof_heads_root_unknown", params))
        return None
    params = {"root": to_hex(claimed), "block": block, "current": to_hex(chain_root)}
    result.notices.append(Finding(Verdict.PENDING, "proof_out_of_date", params))
    return None


def _bytes32_or_none(value: object) -> bytes | None:
    try:
        return from_hex(value) if isinstance(value, str) else None
    except HashingError:
        return None


def _check_order(lot: LotChain, result: BundleResult) -> None:
    """A lot's documents are listed by seq: a bundle read top to bottom must not mislead.
    (Two documents for one seq are named by the walk, as one the chain does not know.)"""
    previous = 0
    for event in lot.events:
        seq = _seq(event)
        if seq < previous:
            params = {"lot": lot.code, "seq": seq, "after": previous}
            result.problems.append(Finding(Verdict.TAMPERED, "proof_out_of_order", params))
            return
        previous = seq


def _proven_head(
    lot: LotChain, root: bytes, registry: Registry, result: BundleResult
) -> Head | None:
    """The lot's head as proven against ``root``, or None with the reason on ``result``."""
    proof = _head_proof(lot.entry.get("head_proof"))
    if proof is None:
        result.problems.append(
            Finding(Verdict.TAMPERED, "proof_head_proof_missing", {"lot": lot.code})
        )
        return None
    bitmap, siblings, leaf = proof
    mismatch = Finding(Verdict.TAMPERED, "proof_head_mismatch", {"lot": lot.code})
    try:
        if leaf is None:
            if verify_no_head(root, lot.key, bitmap, siblings) and registry.verify_no_head(
                lot.key, (bitmap, siblings)
            ):
                return Head(0, None)
            result.problems.append(mismatch)
            return None
        for event in lot.events:
            seq, digest = event.document["seq"], event.digest  # type: ignore[index]
            if digest is not None and head_leaf(lot.key, digest, seq) == leaf:
                if verify_head(root, lot.key, digest, seq, bitmap, siblings) and (
                    registry.verify_head(lot.key, digest, seq, (bitmap, siblings))
                ):
                    return Head(seq, event)
                result.problems.append(mismatch)
                return None
    except ChainUnreachable as exc:
        result.notices.append(unreachable(result, registry, exc))
        return None
    except HashingError:
        result.problems.append(mismatch)
        return None
    params = {"lot": lot.code, "seq": _named_head_seq(lot, leaf)}
    result.problems.append(Finding(Verdict.TAMPERED, "proof_head_missing", params))
    return None


def _head_proof(value: object) -> tuple[int, list[bytes], bytes | None] | None:
    """(bitmap, siblings, leaf or None for "no head") from a lot's ``head_proof``."""
    if not isinstance(value, dict):
        return None
    try:
        bitmap = int.from_bytes(from_hex(value.get("bitmap")))  # type: ignore[arg-type]
        siblings = [from_hex(node) for node in value.get("siblings") or []]
        leaf = value.get("leaf")
        return bitmap, siblings, None if leaf is None else from_hex(leaf)
    except (HashingError, TypeError):
        return None


def _named_head_seq(lot: LotChain, leaf: bytes) -> object:
    """The seq the bundle says its head has, when that claim fits the proven leaf."""
    head = (lot.entry.get("head_proof") or {}).get("head")
    try:
        seq, digest = head["seq"], from_hex(head["event_hash"])
        return seq if head_leaf(lot.key, digest, seq) == leaf else "?"
    except (HashingError, TypeError, KeyError):
        return "?"


def _walk(lot: LotChain, head: Head | None, result: BundleResult) -> set[bytes]:
    """Walk from the head (the newest document when no head is proven) down to seq 1, then on
    after the head; return the hashes of the lot's history that ancestry may name."""
    documents = [e for e in lot.events if e.digest is not None]
    start = head.event if head else max(documents, key=_seq, default=None)
    walked: list[EventResult] = []
    missing: list[int] = []
    current = start
    while current is not None:
        walked.append(current)
        seq = _seq(current)
        if seq == 1:
            break
        linked = [e for e in documents if e.digest == from_hex(current.document["prev"])]  # type: ignore[index]
        if linked and _seq(linked[0]) == seq - 1 and linked[0] not in walked:
            current = linked[0]
            continue
        lower = [e for e in documents if _seq(e) < seq and e not in walked]
        below = max(lower, key=_seq, default=None)
        if below is not None and _seq(below) == seq - 1:
            current.fail("broken_link", lot=lot.code, seq=seq)
        else:
            missing += range(_seq(below) + 1 if below else 1, seq)
        current = below
    _name_missing(lot.code, missing, result)
    if head is not None:  # the chain holds the head, so all below it was anchored (step 6)
        for event in walked:
            if event.outcome is Outcome.PENDING:
                event.fail("unanchored_below_head", lot=lot.code, seq=_seq(event))
    top = head.seq if head else _seq(start) if start else 0
    for event in documents:
        if event not in walked and _seq(event) <= top:
            event.fail("event_unknown", lot=lot.code, seq=_seq(event))
    history = {e.digest for e in walked if e.digest is not None}
    if head is not None:
        after = _after_head(lot, head, [e for e in documents if _seq(e) > head.seq], result)
        history |= {e.digest for e in after if e.digest is not None}
    return history


def _after_head(
    lot: LotChain, head: Head, documents: list[EventResult], result: BundleResult
) -> list[EventResult]:
    """Documents after the proven head continue its chain and are not anchored (section 7,
    step 7); returns those that continue it."""
    expected_seq = head.seq + 1
    expected_prev = to_hex(head.event.digest) if head.event and head.event.digest else None
    continuing: list[EventResult] = []
    for event in sorted(documents, key=_seq):
        seq = _seq(event)
        if seq < expected_seq:
            event.fail("event_unknown", lot=lot.code, seq=seq)
            continue
        if seq > expected_seq:
            _name_missing(lot.code, list(range(expected_seq, seq)), result)
            event.fail("broken_link", lot=lot.code, seq=seq)
        elif event.document["prev"] != expected_prev:  # type: ignore[index]
            event.fail("broken_link", lot=lot.code, seq=seq)
        elif event.outcome is Outcome.VALID:  # anchored, yet the chain's head is older
            event.fail("after_head_anchored", lot=lot.code, seq=seq)
        else:
            continuing.append(event)
        expected_seq = seq + 1
        expected_prev = to_hex(event.digest) if event.digest else None
    return continuing


def _name_missing(code: str, missing: list[int], result: BundleResult) -> None:
    """One problem per run of consecutive missing seqs ("3", "5–9")."""
    runs: list[list[int]] = []
    for seq in sorted(missing):
        if runs and seq == runs[-1][-1] + 1:
            runs[-1].append(seq)
        else:
            runs.append([seq])
    for run in runs:
        label = str(run[0]) if len(run) == 1 else f"{run[0]}–{run[-1]}"
        params = {"lot": code, "seq": label}
        result.problems.append(Finding(Verdict.TAMPERED, "proof_event_missing", params))


def _seq(event: EventResult) -> int:
    return int(event.document["seq"]) if event.document else 0
