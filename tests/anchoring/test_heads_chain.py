"""The heads roots built here are the ones the registry accepts, and its proofs fold on chain.

Batches are sent in id order with ``(prevHeadsRoot, headsRoot)``; the registry refuses a
``prevHeadsRoot`` other than its own, so a history that forked or skipped a batch would show
here as a failed batch. The registry's ``verifyHead`` then checks the proofs this database
gives against the root the chain holds, which trails the newest batch until it is sent.
"""

from __future__ import annotations

from sqlmodel import Session

from backend.hashing import from_hex, lot_key
from backend.models import BatchStatus
from backend.runtime import Runtime
from backend.services.anchoring.heads import head_proof
from tests.anchoring.heads_support import Ledger, build, heads_batches, newest_heads_root
from tests.support.ledger_flow import anchor_everything


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
