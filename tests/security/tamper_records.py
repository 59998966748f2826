"""Edits of the record itself, for the tamper property test: stored documents rewritten,
events deleted or forged, lot links cut or added, batch and chain-action columns changed.

Same contract as :mod:`tests.security.tamper_edits`: each takes the ledger and a drawn number
and returns the :class:`~tests.security.tamper_edits.Tamper` it made, or None.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlmodel import col

from backend.hashing import canonical_bytes, keccak, leaf_hash, lot_key, read_document, to_hex
from backend.models import Batch, ChainAction, Disclosure, Event, Lot, LotLink, SentTx
from tests.security.tamper_edits import Edit, Tamper, pick_event, registrar, write
from tests.security.tamper_world import Ledger

FORGED_ID = "00000000-0000-4000-8000-00000000f0f0"

#: The edits of this module, by name.
RECORD_EDITS: dict[str, Edit] = {}
edit = registrar(RECORD_EDITS)

# -------------------------------------------------------------------- the stored documents


def _rewritten(event: Event, text: str) -> bytes:
    """The stored bytes with the recorder's name replaced: still a canonical document."""
    raw = bytes(event.canonical or b"")
    edited = raw.replace(read_document(raw)["org_name"].encode(), text.encode())
    assert edited != raw
    return edited


def _bytes_edit(name: str, *, rehash: bool, releaf: bool, marker: str) -> None:
    @edit(name)
    def change(ledger: Ledger, pick: int) -> Tamper:
        event, code = pick_event(ledger, pick)
        raw = _rewritten(event, marker)
        values: dict[str, Any] = {"canonical": raw}
        if rehash:
            values["event_hash"] = to_hex(keccak(raw))
        if releaf and event.leaf is not None:
            values["leaf"] = to_hex(leaf_hash(lot_key(code), keccak(raw)))
        anchored = ledger.anchored(event)
        write(ledger, update(Event).where(col(Event.id) == event.id).values(values))
        # Rewritten consistently before any batch took it, it reads as a write not anchored yet.
        unproven = rehash and event.batch_id is None
        return Tamper(
            name,
            f"{event.type} #{event.lot_seq} of {code} (anchored: {anchored}): {sorted(values)}",
            (marker,),
            broken=frozenset() if unproven else ledger.below({code}),
            reshaped=ledger.below({code}) if unproven else frozenset(),
        )


_bytes_edit("event.canonical", rehash=False, releaf=False, marker="GIẢ-24")
_bytes_edit("event.canonical+hash", rehash=True, releaf=False, marker="GIẢ-25")
_bytes_edit("event.canonical+hash+leaf", rehash=True, releaf=True, marker="GIẢ-26")


def _hex_edit(name: str, column: str, forged: str) -> None:
    """A column the event's verdict is computed from (hash, leaf): any change must show."""

    @edit(name)
    def change(ledger: Ledger, pick: int) -> Tamper | None:
        event, code = pick_event(ledger, pick)
        if getattr(event, column) is None:
            return None
        write(ledger, update(Event).where(col(Event.id) == event.id).values({column: forged}))
        return Tamper(name, f"#{event.lot_seq} of {code}", (forged,), ledger.below({code}))


_hex_edit("event.event_hash", "event_hash", "0x" + "a7" * 32)
_hex_edit("event.leaf", "leaf", "0x" + "b8" * 32)


@edit("event.delete")
def deleted(ledger: Ledger, pick: int) -> Tamper:
    """An event deleted (the newest, or a lot's only one, as well as any other), its batch's
    count lowered to match (the chain keeps its own count)."""
    event, code = pick_event(ledger, pick)
    anchored = ledger.anchored(event)
    holders = ledger.holders(event.batch_id)  # the chain's count no longer matches for them
    actions = select(ChainAction.id).where(col(ChainAction.event_id) == event.id)
    write(ledger, delete(SentTx).where(col(SentTx.action_id).in_(actions)))
    for model in (ChainAction, Disclosure):
        write(ledger, delete(model).where(col(model.event_id) == event.id))
    write(ledger, delete(Event).where(col(Event.id) == event.id))
    if event.batch_id is not None:
        lowered = update(Batch).where(col(Batch.id) == event.batch_id)
        write(ledger, lowered.values(event_count=col(Batch.event_count) - 1))
    return Tamper(
        "event.delete",
        f"{event.type} #{event.lot_seq} of {code} (anchored: {anchored})",
        broken=ledger.below(holders | {code}) if anchored else frozenset(),
        reshaped=frozenset() if anchored else ledger.below({code}),
    )


@edit("event.unanchored")
def unanchored(ledger: Ledger, pick: int) -> Tamper | None:
    """An anchored event made to look like a write not anchored yet (no batch, leaf, proof).

    Lots still holding other events of its batch see the batch short of a row: ``tampered``.
    The event's own lot, when no other event of it sits in that batch, may read ``pending``:
    the edit shows nothing new, it only withdraws a proof.
    """
    event, code = pick_event(ledger, pick)
    if event.batch_id is None:
        return None
    statement = update(Event).where(col(Event.id) == event.id)
    write(ledger, statement.values(batch_id=None, leaf=None, merkle_proof=None))
    still = ledger.holders(event.batch_id)
    detail = f"{event.type} #{event.lot_seq} of {code}, batch {event.batch_id}"
    reshaped = ledger.below({code} - still)
    return Tamper("event.unanchored", detail, broken=ledger.below(still), reshaped=reshaped)


# ---------------------------------------------------------------------------- forged rows


def _forge(
    ledger: Ledger, pick: int, *, marker: str, at_tail: bool
) -> tuple[Event, str, dict[str, Any]]:
    """A note document copied from one of a lot's events, its text the marker: at the lot's
    tail (``seq`` one past the newest, ``prev`` the newest's hash) or in the copied one's place."""
    copied, code = pick_event(ledger, pick)
    if at_tail:
        newest = [e for e, c in ledger.events() if c == code]
        copied = max(newest, key=lambda e: e.lot_seq or 0)
    document = read_document(bytes(copied.canonical or b""))
    forged = {**document, "id": FORGED_ID, "type": "note", "data": {"text": marker}}
    if at_tail:
        forged.update(seq=document["seq"] + 1, prev=copied.event_hash)
        forged.pop("lot_facts", None)
        forged.pop("parents", None)
    return copied, code, forged


def _insert(ledger: Ledger, copied: Event, forged: dict[str, Any], **columns: Any) -> None:
    """The forged document's row, its other columns copied, as an intruder would write it."""
    raw = canonical_bytes(forged)
    values = {
        "id": forged["id"],
        "lot_id": copied.lot_id,
        "type": "note",
        "occurred_at": copied.occurred_at,
        "recorded_at": copied.recorded_at,
        "org_id": copied.org_id,
        "location": forged["location"],
        "data": forged["data"],
        "event_hash": to_hex(keccak(raw)),
        "schema_version": 2,
        "lot_seq": None,
        "prev_hash": forged["prev"],
        "canonical": raw,
        **columns,
    }
    write(ledger, insert(Event).values(values))


@edit("forged.pending")
def forged_pending(ledger: Ledger, pick: int) -> Tamper:
    """Correctly chained after the newest event, in no batch: by the rules a write not
    anchored yet, shown as pending (docs/proof-rules.md)."""
    copied, code, forged = _forge(ledger, pick, marker="GIẢ-30", at_tail=True)
    _insert(ledger, copied, forged)
    detail = f"note #{forged['seq']} of {code}"
    return Tamper("forged.pending", detail, ("GIẢ-30",), reshaped=ledger.below({code}))


@edit("forged.unchained")
def forged_unchained(ledger: Ledger, pick: int) -> Tamper:
    copied, code, forged = _forge(ledger, pick, marker="GIẢ-31", at_tail=True)
    forged["prev"] = "0x" + "3c" * 32
    _insert(ledger, copied, forged)
    detail = f"note #{forged['seq']} of {code}, prev wrong"
    return Tamper("forged.unchained", detail, ("GIẢ-31",), ledger.below({code}))


@edit("forged.in_batch")
def forged_in_batch(ledger: Ledger, pick: int) -> Tamper | None:
    """Chained after the newest event and claiming its batch, leaf and proof."""
    copied, code, forged = _forge(ledger, pick, marker="GIẢ-32", at_tail=True)
    if copied.batch_id is None:
        return None
    raw = canonical_bytes(forged)
    leaf = to_hex(leaf_hash(lot_key(code), keccak(raw)))
    proof = copied.merkle_proof
    _insert(ledger, copied, forged, batch_id=copied.batch_id, leaf=leaf, merkle_proof=proof)
    detail = f"note #{forged['seq']} of {code} in batch {copied.batch_id}"
    # One row more than the batch anchored: every lot with events in it reads tampered.
    return Tamper(
        "forged.in_batch", detail, ("GIẢ-32",), ledger.below(ledger.holders(copied.batch_id))
    )


@edit("forged.same_seq")
def forged_same_seq(ledger: Ledger, pick: int) -> Tamper:
    """A second document in an existing event's place (same ``seq`` and ``prev``)."""
    copied, code, forged = _forge(ledger, pick, marker="GIẢ-33", at_tail=False)
    _insert(ledger, copied, forged)
    detail = f"note at #{forged['seq']} of {code}"
    return Tamper("forged.same_seq", detail, ("GIẢ-33",), ledger.below({code}))


# ------------------------------------------------------------------------------ lot links


@edit("lotlink.delete")
def link_deleted(ledger: Ledger, pick: int) -> Tamper | None:
    if not ledger.parent:
        return None
    child = sorted(ledger.parent)[pick % len(ledger.parent)]
    write(ledger, delete(LotLink).where(col(LotLink.child_id) == ledger.ids(Lot, "code")[child]))
    return Tamper(
        "lotlink.delete", f"{ledger.parent[child]} → {child}", broken=ledger.below({child})
    )


def _link_insert(name: str, *, cycle: bool) -> None:
    """A lot given a parent no record names, lending it another lot's history; with
    ``cycle``, the parent is a lot split from it (the link closes a loop)."""

    @edit(name)
    def change(ledger: Ledger, pick: int) -> Tamper | None:
        pairs = [
            (parent, child)
            for parent in ledger.codes
            for child in ledger.codes
            if parent != child
            and ledger.parent.get(child) != parent
            and (parent in ledger.descendants(child)) == cycle
        ]
        if not pairs:
            return None
        parent, child = pairs[pick % len(pairs)]
        ids = ledger.ids(Lot, "code")
        row = {"parent_id": ids[parent], "child_id": ids[child], "kind": "merge", "quantity": "1"}
        write(ledger, insert(LotLink).values(row))
        # Lots below the child that had the parent in their line already gain no ancestor.
        below = {code for code in ledger.descendants(child) if parent not in ledger.lineage(code)}
        return Tamper(name, f"{parent} → {child}", broken=frozenset(below))


_link_insert("lotlink.insert", cycle=False)
_link_insert("lotlink.insert.cycle", cycle=True)


@edit("lotlink.kind")
def link_kind(ledger: Ledger, pick: int) -> Tamper | None:
    """A split shown as a merge."""
    if not ledger.parent:
        return None
    write(ledger, update(LotLink).values(kind="merge", quantity="9.99"))
    return Tamper("lotlink.kind", "every link: kind = merge", ("9.99",))


# -------------------------------------------------------------------------------- batches


def _batch_edit(name: str, column: str, forged: Any) -> None:
    @edit(name)
    def change(ledger: Ledger, pick: int) -> Tamper:
        batches = ledger.batches()
        batch = batches[pick % len(batches)]
        write(ledger, update(Batch).where(col(Batch.id) == batch.id).values({column: forged}))
        holders = ledger.holders(batch.id)
        newest = batch.id == max(b.id or 0 for b in batches if b.heads_root)
        broken = {
            "root": holders,  # the chain has no such root: the events lose their anchor
            "heads_root": set(ledger.codes) if newest else set(),  # the chain's root unknown
        }.get(column, set())
        detail = f"batch {batch.id} of {len(batches)} (lots {sorted(holders)})"
        return Tamper(name, detail, (str(forged),), ledger.below(broken))


_batch_edit("batch.tx_hash", "tx_hash", "0x" + "ab" * 32)
_batch_edit("batch.block_number", "block_number", 987654321)
_batch_edit("batch.root", "root", "0x" + "ef" * 32)
_batch_edit("batch.heads_root", "heads_root", "0x" + "cd" * 32)
_batch_edit("batch.prev_heads_root", "prev_heads_root", "0x" + "9d" * 32)


@edit("chainaction.tx_hash")
def milestone_tx(ledger: Ledger, pick: int) -> Tamper | None:
    """The transaction of a milestone or recall sent on its own."""
    forged = "0x" + "4f" * 32
    ids = [event.id for event, _ in ledger.events()]
    chosen = ids[pick % len(ids)]
    statement = update(ChainAction).where(col(ChainAction.event_id) == chosen)
    if write(ledger, statement.values(tx_hash=forged)) == 0:
        return None
    return Tamper("chainaction.tx_hash", f"action of event {chosen}", (forged,))
