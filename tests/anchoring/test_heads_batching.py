"""Each stored batch moves the lot heads map and records its heads roots, in one history.

A batch's ``prev_heads_root`` is its predecessor's ``heads_root`` (zero for the first); its
``heads_root`` is the map with each of its lots' head moved to the lot's newest rules-v2
event in it. v1 events never touch the map, and a lot's events go in seq order only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from backend.hashing import HeadsMap, to_hex
from backend.hashing.heads import ZERO
from backend.models import HeadsNode
from backend.services.anchoring.batching import build_batch
from backend.services.anchoring.heads import HeadsHistoryError, SqlNodeStore, newest_base
from backend.timeutil import utcnow
from tests.anchoring.heads_support import (
    Ledger,
    assert_history_matches,
    build,
    expected_root,
    heads_batches,
    ledger_on,
    migrated,
)
from tests.support.ledger_flow import events, execute, pending_events


@pytest.fixture
def ledger(database_url: str) -> Iterator[Ledger]:
    with ledger_on(database_url, "LO-A", "LO-B", "LO-C") as made:
        yield made


@pytest.fixture
def engine(ledger: Ledger) -> Engine:
    return ledger.engine


def test_a_batch_moves_each_lot_to_its_newest_event_and_records_both_roots(
    engine: Engine, ledger: Ledger
) -> None:
    for _ in range(3):
        ledger.event("LO-A")
    ledger.event("LO-B")

    built = build(engine)

    assert built is not None and built.event_count == 4
    (batch,) = heads_batches(engine)
    assert batch.prev_heads_root == to_hex(ZERO)
    assert batch.heads_root == to_hex(expected_root(ledger.heads))
    assert ledger.heads["LO-A"][1] == 3


def test_batches_form_one_linear_history_and_an_unchanged_map_keeps_its_root(
    engine: Engine, ledger: Ledger
) -> None:
    ledger.event("LO-A")
    build(engine)
    ledger.event("LO-A", schema_version=1)  # a v1 event alone: the map does not move
    build(engine)
    ledger.event("LO-B")
    ledger.event("LO-A")
    build(engine)

    first, unchanged, _ = heads_batches(engine)
    assert unchanged.prev_heads_root == unchanged.heads_root == first.heads_root
    assert_history_matches(ledger)


def test_v1_events_are_anchored_but_never_touch_the_map(engine: Engine, ledger: Ledger) -> None:
    ledger.event("LO-C", schema_version=1)
    ledger.event("LO-C", schema_version=1)

    built = build(engine)

    assert built is not None and built.event_count == 2
    (batch,) = heads_batches(engine)
    assert batch.prev_heads_root == batch.heads_root == to_hex(ZERO)


def test_a_full_batch_cuts_a_lot_between_seqs_and_the_next_batch_continues_it(
    engine: Engine, ledger: Ledger
) -> None:
    """Pending events are taken oldest first, so a cut keeps each lot's lower seqs."""
    for _ in range(4):
        ledger.event("LO-A")
        ledger.event("LO-B")

    assert build(engine, max_events=3) is not None
    first = heads_batches(engine)[0]
    assert first.heads_root == to_hex(
        expected_root({"LO-A": _event_of(engine, "LO-A", 2), "LO-B": _event_of(engine, "LO-B", 1)})
    )
    while build(engine, max_events=3):
        pass
    assert pending_events(engine) == 0
    assert_history_matches(ledger)


def test_an_event_whose_predecessor_is_still_pending_waits_for_it(
    engine: Engine, ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    ledger.event("LO-A")
    build(engine)
    ledger.event("LO-A", lot_seq=3, prev_hash=None)  # seq 2 never arrived: a gap
    ledger.event("LO-B")

    with caplog.at_level(logging.ERROR):
        built = build(engine)

    assert built is not None and built.event_count == 1  # LO-B only
    assert "does not extend the lot's anchored head" in caplog.text
    assert [e.lot_seq for e in events(engine, lot_code="LO-A") if e.batch_id is None] == [3]
    assert heads_batches(engine)[-1].heads_root == to_hex(
        expected_root({"LO-A": _event_of(engine, "LO-A", 1), "LO-B": ledger.heads["LO-B"]})
    )


def test_a_broken_prev_holds_back_the_event_and_every_later_one_of_its_lot(
    engine: Engine, ledger: Ledger
) -> None:
    ledger.event("LO-A")
    ledger.event("LO-A", prev_hash=to_hex(b"\x01" * 32))
    ledger.event("LO-A")

    built = build(engine)

    assert built is not None and built.event_count == 1
    assert [e.batch_id is None for e in events(engine, lot_code="LO-A")] == [False, True, True]


def test_a_second_document_for_an_anchored_seq_is_not_anchored(
    engine: Engine, ledger: Ledger
) -> None:
    """Hide the anchored head row and write another seq 2: the map still holds the first."""
    first = ledger.event("LO-A")
    second = ledger.event("LO-A")
    build(engine)
    execute(engine, "UPDATE event SET lot_seq = NULL, schema_version = 1 WHERE id = :id",
            id=second.id)  # fmt: skip
    ledger.event("LO-A", lot_seq=2, prev_hash=first.event_hash)

    assert build(engine) is None
    assert pending_events(engine) == 1


def test_the_first_event_of_a_lot_must_be_seq_one_without_prev(
    engine: Engine, ledger: Ledger
) -> None:
    ledger.event("LO-A", lot_seq=2, prev_hash=to_hex(b"\x02" * 32))
    ledger.event("LO-B", lot_seq=1, prev_hash=to_hex(b"\x02" * 32))

    assert build(engine) is None
    assert pending_events(engine) == 2


def test_a_batch_costs_its_own_lots_paths_not_a_rebuild(
    engine: Engine, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    lots = [f"LO-{i:03}" for i in range(60)]
    for code in lots:
        ledger.lot(code)
        ledger.event(code)
    build(engine)
    touched = lots[:3]
    for code in touched:
        ledger.event(code)
    calls = _count_map_hashes(monkeypatch)

    built = build(engine)

    assert built is not None
    k = len(touched)
    assert calls[0] <= k * 256  # 256 per lot already in the map; a rebuild: over 60 * 256
    assert _rows_at(engine, built.batch_id) <= 1 + k * 10  # the root, branch points, leaves
    assert_history_matches(ledger)


def test_a_restarted_process_reads_the_stored_map_and_goes_on_from_it(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with migrated(database_url) as engine:
        ledger = Ledger(engine)
        for i in range(20):
            ledger.lot(f"LO-{i}")
            ledger.event(f"LO-{i}")
        build(engine)
    with migrated(database_url) as restarted:  # a new engine: nothing shared in the process
        ledger.engine = restarted
        ledger.event("LO-7")
        calls = _count_map_hashes(monkeypatch)
        with Session(restarted) as session:
            base = newest_base(session)
            assert HeadsMap(SqlNodeStore(session, base.version)).root == base.root
        assert calls[0] == 0  # opening the stored map recomputes nothing
        built = build(restarted)
        assert built is not None and calls[0] <= 2 * 256
        assert_history_matches(ledger)


def test_a_stored_map_that_disagrees_with_its_batches_stops_the_builder(
    engine: Engine, ledger: Ledger
) -> None:
    ledger.event("LO-A")
    build(engine)
    execute(engine, "UPDATE batch SET heads_root = :root", root=to_hex(b"\x03" * 32))
    ledger.event("LO-B")

    with pytest.raises(HeadsHistoryError, match="newest recorded heads root"):
        build(engine)
    assert pending_events(engine) == 1


def _event_of(engine: Engine, code: str, seq: int) -> tuple[str, int]:
    (found,) = [e for e in events(engine, lot_code=code) if e.lot_seq == seq]
    return found.event_hash, seq


def _count_map_hashes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count every keccak the heads map computes from now on (one counter, in a list)."""
    from backend.hashing import heads_map

    calls = [0]
    real = heads_map.new_keccak

    def counting(data: bytes = b"") -> object:
        calls[0] += 1
        return real(data)

    monkeypatch.setattr(heads_map, "new_keccak", counting)
    return calls


def _rows_at(engine: Engine, version: int) -> int:
    with Session(engine) as session:
        statement = select(func.count()).select_from(HeadsNode).where(HeadsNode.version == version)
        return session.exec(statement).one()


def test_events_held_back_do_not_make_a_batch_due_by_themselves(
    engine: Engine, ledger: Ledger
) -> None:
    ledger.event("LO-A", lot_seq=2, prev_hash=to_hex(b"\x04" * 32))  # held back for ever
    ledger.event("LO-B")
    later = utcnow() + timedelta(minutes=1)  # both are a minute old: not due after an hour

    assert build_batch(engine, max_events=2, max_delay_s=3600, now=later) is None
    assert build_batch(engine, max_events=1000, max_delay_s=30, now=later) is not None
    assert pending_events(engine) == 1
