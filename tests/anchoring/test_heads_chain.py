"""The heads roots built here are the ones the registry accepts, and its proofs fold on chain.

Batches are sent in id order with ``(prevHeadsRoot, headsRoot)``; the registry refuses a
``prevHeadsRoot`` other than its own, so a history that forked or skipped a batch would show
here as a failed batch. The registry's ``verifyHead`` then checks the proofs this database
gives against the root the chain holds, which trails the newest batch until it is sent.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from backend.hashing import from_hex, lot_key
from backend.models import BatchStatus
from backend.runtime import Runtime
from backend.services.anchoring.heads import audit_heads, head_proof
from tests.anchoring.heads_support import Ledger, build, heads_batches, newest_heads_root
from tests.support.app import Actors
from tests.support.ledger_flow import anchor_everything, events, harvest, note


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"event_schema": 2, "batch_max_events": 3}


def _chain_proof(runtime: Runtime, code: str) -> tuple[bytes, tuple[int, tuple[bytes, ...]]]:
    """The registry's heads root now, and ``code``'s proof against it from the database."""
    assert runtime.chain is not None
    root = runtime.chain.heads_root()
    with Session(runtime.engine) as session:
        proof = head_proof(session, lot_key=lot_key(code), heads_root=root)
    assert proof is not None
    return root, (proof.bitmap, proof.siblings)


def test_every_batch_moves_the_registry_along_the_same_history(runtime: Runtime) -> None:
    ledger = Ledger(runtime.engine)
    for code in ("LO-A", "LO-B"):
        ledger.lot(code)
    for round_ in range(3):
        ledger.event("LO-A")
        if round_ != 1:
            ledger.event("LO-B")
        anchor_everything(runtime)

    assert runtime.chain is not None
    assert [b.status for b in heads_batches(runtime.engine)] == [BatchStatus.CONFIRMED] * 3
    assert runtime.chain.heads_root() == from_hex(newest_heads_root(runtime.engine))
    for code in ("LO-A", "LO-B"):
        head_hash, seq = ledger.heads[code]
        _, proof = _chain_proof(runtime, code)
        assert runtime.chain.verify_head(lot_key(code), from_hex(head_hash), seq, proof)


def test_a_proof_against_the_root_the_chain_holds_folds_on_chain_while_a_batch_waits(
    runtime: Runtime,
) -> None:
    ledger = Ledger(runtime.engine)
    for code in ("LO-A", "LO-B"):
        ledger.lot(code)
        ledger.event(code)
    anchor_everything(runtime)
    anchored = dict(ledger.heads)
    ledger.event("LO-A")
    ledger.lot("LO-NEW")
    ledger.event("LO-NEW")
    assert build(runtime.engine) is not None  # stored, not sent: the chain trails it

    assert runtime.chain is not None
    root, proof = _chain_proof(runtime, "LO-A")
    assert root != from_hex(newest_heads_root(runtime.engine))
    head_hash, seq = anchored["LO-A"]
    assert runtime.chain.verify_head(lot_key("LO-A"), from_hex(head_hash), seq, proof)
    _, absent = _chain_proof(runtime, "LO-NEW")
    assert runtime.chain.verify_no_head(lot_key("LO-NEW"), absent)


def test_events_recorded_through_the_api_move_the_heads_in_order(
    runtime: Runtime, supply_chain: Actors
) -> None:
    for code in ("LO-V2-A", "LO-V2-B"):
        harvest(supply_chain, code)
    for i in range(4):
        note(supply_chain, "LO-V2-A", f"Ghi chú {i}")

    anchor_everything(runtime)

    assert runtime.chain is not None
    assert runtime.chain.heads_root() == from_hex(newest_heads_root(runtime.engine))
    newest = events(runtime.engine, lot_code="LO-V2-A")[-1]
    assert (newest.schema_version, newest.lot_seq) == (2, 5)
    _, proof = _chain_proof(runtime, "LO-V2-A")
    assert runtime.chain.verify_head(lot_key("LO-V2-A"), from_hex(newest.event_hash), 5, proof)
    with Session(runtime.engine) as session:
        assert audit_heads(session).agrees
