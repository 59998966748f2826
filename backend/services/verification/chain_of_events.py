"""Rules v2 for one lot's own records: each stored document, and the chain they form.

A v2 event is checked on the exact canonical bytes it hashed (never rebuilt from columns): the
bytes must be their own canonical form, hash to the stored event hash, and name this lot and
this event. Then the lot's documents, in ``seq`` order, must run 1, 2, … with no gap or repeat,
each ``prev`` naming the hash of the one before: a deleted, inserted, moved or reordered event
breaks that chain even when every remaining document is intact. (That nothing was cut off after
the newest document is what the lot heads map proves; see docs/proof-rules.md.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from backend.hashing import HashingError, keccak, read_document, to_hex
from backend.models import Event
from backend.services.verification.results import EventCheck
from backend.services.verification.verdicts import Finding, Verdict

NO_DOCUMENT = "no stored canonical document"


@dataclass(frozen=True)
class StoredDocument:
    """A v2 event's document as read from its stored bytes, with the hash of those bytes."""

    document: dict[str, Any]
    computed_hash: str
    #: The same hash as bytes (what a leaf is built from).
    computed_digest: bytes = b""


def read_stored(event: Event, lot_code: str) -> StoredDocument | Finding:
    """The event's verified-readable document, or the ``tampered`` finding that stops it."""
    raw = event.canonical
    if raw is None:
        return Finding(Verdict.TAMPERED, "tampered_unhashable", {"problem": NO_DOCUMENT})
    try:
        document = read_document(bytes(raw))
    except HashingError as exc:
        return Finding(Verdict.TAMPERED, "tampered_unhashable", {"problem": str(exc)})
    digest, computed = stored_digest(bytes(raw))
    if computed != (event.event_hash or "").lower():
        return Finding(Verdict.TAMPERED, "tampered_hash")
    if document["lot"] != lot_code:
        return Finding(Verdict.TAMPERED, "tampered_moved", {"lot": document["lot"]})
    if document["id"] != event.id:
        return Finding(Verdict.TAMPERED, "tampered_hash")
    return StoredDocument(document, computed, digest)


@lru_cache(maxsize=16384)
def stored_digest(raw: bytes) -> tuple[bytes, str]:
    """Keccak-256 of stored canonical bytes, as bytes and as ``0x`` hex: a pure function of
    the exact bytes, asked again for every event on every read. The look-up hashes the bytes
    object once (``read_document`` has hashed the same object already)."""
    digest = keccak(raw)
    return digest, to_hex(digest)


def chain_problems(documents: Sequence[StoredDocument]) -> list[Finding]:
    """Gaps, repeats and broken ``prev`` links among a lot's readable v2 documents."""
    problems: list[Finding] = []
    ordered = sorted(documents, key=lambda d: d.document["seq"])
    expected_seq = 1
    previous: StoredDocument | None = None
    for stored in ordered:
        seq = stored.document["seq"]
        if seq < expected_seq:
            problems.append(Finding(Verdict.TAMPERED, "tampered_repeated_seq", {"seq": seq}))
            continue
        if seq > expected_seq:
            problems.append(Finding(Verdict.TAMPERED, "tampered_gap", {"seq": expected_seq}))
        elif previous is not None and stored.document["prev"] != previous.computed_hash:
            problems.append(Finding(Verdict.TAMPERED, "tampered_broken_link", {"seq": seq}))
        expected_seq = seq + 1
        previous = stored
    return problems


def first_document(events: Sequence[Any]) -> dict[str, Any] | None:
    """The readable seq-1 document among a lot's checked events, if any."""
    for check in events:
        document = check.document
        if document is not None and document["seq"] == 1:
            found: dict[str, Any] = document
            return found
    return None


def ancestry_problems(
    lot_code: str,
    first_documents: Mapping[str, dict[str, Any] | None],
    event_hashes: Mapping[str, set[str]],
) -> list[Finding]:
    """Whether the ancestors found through the database's links are exactly the parents the
    documents name, from ``lot_code`` upward.

    ``first_documents`` maps every lot of the lineage to its first v2 document (None for a lot
    recorded under v1, whose links cannot be proven and are taken as they are: then nothing is
    said about extra ancestors). A parent named but absent (a link deleted, which may hide a
    recalled parent), a parent event that is not among the parent's documents, or an ancestor
    no document names (a link inserted, lending the lot another farm's history) is ``tampered``.
    """
    problems: list[Finding] = []
    proven: set[str] = {lot_code}
    frontier = [lot_code]
    all_v2 = all(document is not None for document in first_documents.values())
    while frontier:
        code = frontier.pop()
        document = first_documents.get(code)
        for parent in (document or {}).get("parents") or []:
            name = parent["lot"]
            if name not in first_documents:
                problems.append(Finding(Verdict.TAMPERED, "tampered_parent_missing", {"lot": name}))
            elif parent["event_hash"] not in event_hashes.get(name, set()):
                problems.append(Finding(Verdict.TAMPERED, "tampered_parent_event", {"lot": name}))
            if name not in proven:
                proven.add(name)
                frontier.append(name)
    if all_v2:
        for extra in sorted(set(first_documents) - proven):
            problems.append(Finding(Verdict.TAMPERED, "tampered_parent_extra", {"lot": extra}))
    return problems


def in_lot_order(checks: list[EventCheck]) -> list[EventCheck]:
    """A lot's events in the lot's own order: rules-v1 events as recorded (their documents
    state no seq; an upgraded lot's v1 events all precede its v2 ones), then rules-v2 events by
    the seq their documents state. Row columns (time, queue number) are editable, so they
    only break ties among events whose documents cannot be read."""

    def key(indexed: tuple[int, EventCheck]) -> tuple[int, float, int]:
        index, check = indexed
        if check.event.schema_version < 2:
            return 0, 0.0, index
        seq = check.document["seq"] if check.document else check.event.lot_seq
        return 1, float(seq) if isinstance(seq, int) else float("inf"), index

    return [check for _, check in sorted(enumerate(checks), key=key)]
