"""Proven lot facts are read from checked rules-v2 documents alone: private members stay unshown,
quantities follow the lot's own split and merge documents, parents are the ones the first
document names, and only an anchor the chain holds counts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from backend.hashing import canonical_document_v2, commit, farm_facts, lot_facts
from backend.models import Event, EventType, Lot
from backend.services.verification.chain_view import AnchorFact, AnchorState
from backend.services.verification.proven_facts import chain_anchor, proven_lot
from backend.services.verification.results import EventCheck, LotCheck
from backend.services.verification.verdicts import Finding, Verdict

SALT = bytes(32)
PARENT_HASH = "0x" + "11" * 32
WHEN = datetime(2026, 5, 1, 6, 0, tzinfo=UTC)


def document(seq: int, event_type: str, data: dict[str, Any], **first: Any) -> dict[str, Any]:
    return canonical_document_v2(
        event_id=f"00000000-0000-4000-8000-{seq:012d}",
        lot_code="LO-1",
        seq=seq,
        prev=None if seq == 1 else "0x" + f"{seq:02d}" * 32,
        event_type=event_type,
        occurred_at=WHEN.replace(hour=seq),
        org_slug="htx",
        org_name="HTX Mỹ Xương",
        location=None,
        data=data,
        **first,
    )


def facts(**farm: Any) -> dict[str, Any]:
    return lot_facts(
        product_code="xoai",
        product_name="Xoài cát Hòa Lộc",
        product_name_en=None,
        gtin=None,
        producer_slug="htx",
        producer_name="HTX Mỹ Xương",
        farm=farm_facts(code="F-01", commune="Mỹ Xương", province="Đồng Tháp", **farm),
        quantity="1000",
        unit="kg",
        harvested_at=WHEN,
    )


def lot_check(*documents: dict[str, Any] | None, anchor: AnchorFact | None = None) -> LotCheck:
    checks = [
        EventCheck(
            event=Event(
                id=f"e{i}",
                lot_id=1,
                type=EventType.NOTE,
                occurred_at=WHEN,
                org_id=1,
                event_hash="0x",
                lot_seq=i + 1,
            ),
            lot_code="LO-1",
            finding=Finding(Verdict.VERIFIED, "verified"),
            computed_hash=None,
            batch=None,
            anchor=anchor,
            milestone=None,
            document=d,
        )
        for i, d in enumerate(documents)
    ]
    finding = Finding(Verdict.VERIFIED, "lot_verified")
    return LotCheck(Lot(code="LO-1"), finding, checks, [], None)


def test_a_farm_name_and_point_held_as_commitments_are_not_shown() -> None:
    private = facts(name=commit("Vườn ông Tư", SALT), point=commit({"lat": "10.45"}, SALT))
    proven = proven_lot(lot_check(document(1, "harvest", {}, lot_facts=private)))
    assert proven is not None and proven.farm is not None
    assert proven.farm.name is None
    assert proven.farm.private == ("name", "point")
    assert proven.farm.commune == "Mỹ Xương"


def test_remaining_follows_the_lots_own_split_and_merge_documents() -> None:
    first = document(1, "harvest", {}, lot_facts=facts(name="Vườn ông Tư"))
    split = document(2, "split", {"children": [{"code": "A", "quantity": "250.5"}]})
    merge = document(3, "merge", {"into": "M", "quantity": "700"})
    proven = proven_lot(lot_check(first, split, merge))
    assert proven is not None
    assert (proven.quantity, proven.remaining) == ("1000", "49.5")
    assert proven.complete


def test_a_merged_lots_parents_and_quantities_are_its_first_documents() -> None:
    sources = {"sources": [{"code": "P-1", "quantity": "300"}, {"code": "P-2", "quantity": "200"}]}
    parents = [("P-1", PARENT_HASH), ("P-2", PARENT_HASH)]
    first = document(1, "merge", sources, lot_facts=facts(name="Vườn"), parents=parents)
    proven = proven_lot(lot_check(first))
    assert proven is not None
    assert [(p.code, p.kind, p.quantity) for p in proven.parents] == [
        ("P-1", "merge", "300"),
        ("P-2", "merge", "200"),
    ]


def test_no_facts_are_proven_without_a_readable_first_document() -> None:
    later = document(2, "note", {"text": "Tỉa cành"})
    assert proven_lot(lot_check(None, later)) is None


def test_an_unreadable_event_leaves_the_lot_incomplete() -> None:
    first = document(1, "harvest", {}, lot_facts=facts(name="Vườn ông Tư"))
    proven = proven_lot(lot_check(first, None))
    assert proven is not None and not proven.complete


def test_only_an_anchor_the_chain_holds_is_shown() -> None:
    first = document(1, "harvest", {}, lot_facts=facts(name="Vườn"))
    for state, shown in ((AnchorState.FINAL, True), (AnchorState.SHALLOW, True),
                         (AnchorState.ABSENT, False), (AnchorState.UNKNOWN, False)):  # fmt: skip
        anchor = AnchorFact(state, block_number=7, tx_hash=PARENT_HASH)
        [check] = lot_check(first, anchor=anchor).events
        assert (chain_anchor(check) is not None) is shown
