"""Head proofs as of the heads root the chain holds, which may trail the newest batch.

A verifier asks with the root it read from the chain: the proof must fold to exactly that
root, even after newer batches moved the lot's head, and an unknown root gets no proof.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session

from backend.hashing import (
    InvalidNode,
    from_hex,
    head_leaf,
    lot_key,
    to_hex,
    verify_head,
    verify_no_head,
)
from backend.hashing.heads import ZERO
from backend.services.anchoring.heads import HeadProofAt, head_proof
from tests.anchoring.heads_support import Ledger, build, ledger_on, migrated, newest_heads_root
from tests.support.ledger_flow import execute


@pytest.fixture
def ledger(database_url: str) -> Iterator[Ledger]:
    with ledger_on(database_url, "LO-A", "LO-B", "LO-C") as made:
        yield made


def _proof(ledger: Ledger, code: str, root: str | bytes) -> HeadProofAt | None:
    with Session(ledger.engine) as session:
        root_bytes = from_hex(root) if isinstance(root, str) else root
        return head_proof(session, lot_key=lot_key(code), heads_root=root_bytes)


def _holds(ledger: Ledger, code: str, root: str, head: tuple[str, int]) -> bool:
    proof = _proof(ledger, code, root)
    assert proof is not None
    key = lot_key(code)
    return verify_head(from_hex(root), key, from_hex(head[0]), head[1], *proof[:2])


def test_a_proof_against_an_older_root_still_folds_to_it_after_newer_batches(
    ledger: Ledger,
) -> None:
    ledger.event("LO-A")
    ledger.event("LO-B")
    build(ledger.engine)
    old_head, old_root = ledger.heads["LO-A"], newest_heads_root(ledger.engine)
    for _ in range(3):  # the chain has not caught up with these yet
        ledger.event("LO-A")
        ledger.event("LO-C")
        build(ledger.engine)
    new_root = newest_heads_root(ledger.engine)

    assert _holds(ledger, "LO-A", old_root, old_head)
    assert _holds(ledger, "LO-A", new_root, ledger.heads["LO-A"])
    assert not _holds(ledger, "LO-A", new_root, old_head)  # an old head is not the head now
    proof = _proof(ledger, "LO-C", old_root)  # not anchored yet at the old root
    assert proof is not None and proof.leaf is None
    assert verify_no_head(from_hex(old_root), lot_key("LO-C"), proof.bitmap, proof.siblings)


def test_a_proof_carries_the_leaf_the_map_holds_for_the_lot(ledger: Ledger) -> None:
    ledger.event("LO-A")
    build(ledger.engine)

    proof = _proof(ledger, "LO-A", newest_heads_root(ledger.engine))

    head_hash, seq = ledger.heads["LO-A"]
    assert proof is not None
    assert proof.leaf == head_leaf(lot_key("LO-A"), from_hex(head_hash), seq)


def test_the_empty_root_is_the_empty_map_and_an_unknown_root_has_no_proof(
    ledger: Ledger,
) -> None:
    ledger.event("LO-A")
    build(ledger.engine)

    assert _proof(ledger, "LO-A", ZERO) == HeadProofAt(0, (), None)
    assert _proof(ledger, "LO-A", b"\x07" * 32) is None


def test_a_stored_map_that_no_longer_gives_its_root_gives_no_proof(ledger: Ledger) -> None:
    ledger.event("LO-A")
    ledger.event("LO-B")
    build(ledger.engine)
    root = newest_heads_root(ledger.engine)
    execute(ledger.engine, "DELETE FROM headsnode WHERE height = 256")

    with migrated(ledger.engine.url.render_as_string(hide_password=False)) as fresh:
        ledger.engine = fresh  # a new engine: nothing cached
        assert _proof(ledger, "LO-A", root) is None


def test_a_proof_of_a_committed_version_is_answered_from_the_cache_next_time(
    ledger: Ledger,
) -> None:
    ledger.event("LO-A")
    build(ledger.engine)
    root = newest_heads_root(ledger.engine)
    first = _proof(ledger, "LO-A", root)

    execute(ledger.engine, "DELETE FROM headsnode")

    assert _proof(ledger, "LO-A", root) == first


def test_a_lot_key_or_root_of_the_wrong_size_is_the_callers_error(ledger: Ledger) -> None:
    with Session(ledger.engine) as session, pytest.raises(InvalidNode):
        head_proof(session, lot_key=b"short", heads_root=ZERO)
    with Session(ledger.engine) as session, pytest.raises(InvalidNode):
        head_proof(session, lot_key=lot_key("LO-A"), heads_root=to_hex(ZERO))  # type: ignore[arg-type]
