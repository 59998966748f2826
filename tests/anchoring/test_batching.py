"""Cutting pending events into batches: by size, by age, on demand; proofs that hold."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session

from backend.hashing import MerkleTree, from_hex, leaf_hash, lot_key, to_hex, verify_proof
from backend.models import Batch, BatchStatus
from backend.runtime import Runtime
from backend.services.anchoring import batching
from backend.services.anchoring.batching import build_batch
from backend.timeutil import utcnow
from tests.support.app import Actors
from tests.support.ledger_flow import activate_keys, batches, events, harvest, note, pending_events

MAX_EVENTS = 3
DELAY_S = 3600.0


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"batch_max_events": MAX_EVENTS, "batch_max_delay_s": DELAY_S}


def test_full_batches_are_anchored_and_a_young_remainder_waits(
    runtime: Runtime, supply_chain: Actors
) -> None:
    harvest(supply_chain, "LO-1")
    for i in range(6):
        note(supply_chain, "LO-1", f"Ghi chú số {i}")

    report = runtime.anchoring.run_once()

    assert report.built == 2
    stored = batches(runtime.engine)
    assert [b.event_count for b in stored] == [MAX_EVENTS, MAX_EVENTS]
    assert [b.status for b in stored] == [BatchStatus.CONFIRMED, BatchStatus.CONFIRMED]
    first, second = (b.id for b in stored)
    assert [e.batch_id for e in events(runtime.engine)] == [first] * 3 + [second] * 3 + [None]


def test_a_batch_becomes_due_when_its_oldest_event_has_waited_the_delay(
    runtime: Runtime, supply_chain: Actors
) -> None:
    activate_keys(runtime)
    harvest(supply_chain, "LO-2")
    note(supply_chain, "LO-2", "Tưới nước")
    engine = runtime.engine

    assert build_batch(engine, max_events=MAX_EVENTS, max_delay_s=DELAY_S) is None
    later = utcnow() + timedelta(seconds=DELAY_S + 1)
    built = build_batch(engine, max_events=MAX_EVENTS, max_delay_s=DELAY_S, now=later)

    assert built is not None and built.event_count == 2
    assert pending_events(engine) == 0


def test_flush_now_ignores_the_delay(runtime: Runtime, supply_chain: Actors) -> None:
    harvest(supply_chain, "LO-3")
    assert runtime.anchoring.run_once().built == 0

    report = runtime.anchoring.run_once(force=True)

    assert (report.built, report.confirmed) == (1, 1)
    assert pending_events(runtime.engine) == 0


def test_every_stored_proof_leads_to_the_root_in_python_and_on_chain(
    runtime: Runtime, supply_chain: Actors
) -> None:
    harvest(supply_chain, "LO-4")
    for i in range(4):
        note(supply_chain, "LO-4", f"Kiểm tra {i}")
    runtime.anchoring.run_once(force=True)
    roots = {b.id: from_hex(b.root) for b in batches(runtime.engine)}
    assert runtime.chain is not None

    for event in events(runtime.engine):
        assert event.batch_id is not None and event.leaf is not None
        key, hashed = lot_key("LO-4"), from_hex(event.event_hash)
        proof = [from_hex(node) for node in event.merkle_proof or []]
        assert from_hex(event.leaf) == leaf_hash(key, hashed)
        assert verify_proof(proof, roots[event.batch_id], from_hex(event.leaf))
        assert runtime.chain.verify(proof, roots[event.batch_id], key, hashed)


def test_events_stay_pending_while_the_chain_cannot_be_reached(
    runtime: Runtime, supply_chain: Actors
) -> None:
    from backend.chain import ChainUnavailable
    from backend.services.anchoring.service import AnchoringService

    harvest(supply_chain, "LO-5")

    def unreachable() -> Any:
        raise ChainUnavailable("chain node at http://127.0.0.1:9 is unreachable")

    service = AnchoringService(engine=runtime.engine, settings=runtime.settings, chain=unreachable)
    with pytest.raises(ChainUnavailable):
        service.run_once(force=True)

    assert pending_events(runtime.engine) == 1
    assert batches(runtime.engine) == []


def test_a_batch_stored_by_a_concurrent_pass_is_contention_not_a_crash(
    runtime: Runtime, supply_chain: Actors
) -> None:
    """Two passes that read the same pending rows build the same root; the later one backs off."""
    activate_keys(runtime)
    harvest(supply_chain, "LO-RACE")
    note(supply_chain, "LO-RACE", "Hai lượt cùng lúc")
    engine = runtime.engine
    with Session(engine) as session:
        leaves = batching._leaves(batching._select_pending(session, limit=MAX_EVENTS))
        root = to_hex(MerkleTree.build(list(leaves.values())).root)
        session.add(Batch(root=root, event_count=len(leaves), status=BatchStatus.PENDING))
        session.commit()

    with pytest.raises(batching.BatchContended, match="stored by another pass"):
        build_batch(engine, max_events=MAX_EVENTS, max_delay_s=DELAY_S, force=True)
    assert pending_events(engine) == len(leaves)  # nothing claimed, nothing lost
