"""``sentrace heads rebuild`` and ``sentrace heads show``: audits of the stored heads map."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from backend.cli import app as cli
from backend.config import get_settings
from backend.hashing import to_hex
from tests.anchoring.heads_support import Ledger, build, expected_root, heads_batches, migrated
from tests.support.ledger_flow import execute

BROKEN_PREV = (
    "Đợt neo không bắt đầu từ gốc của các đợt trước nó / "
    "batch that does not start from the root the batches before it left"
)


@pytest.fixture
def engine(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The database, with the command line's settings pointing at it."""
    monkeypatch.setenv("SENTRACE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SENTRACE_DATABASE_URL", database_url)
    get_settings.cache_clear()
    with migrated(database_url) as made:
        yield made
    get_settings.cache_clear()


@pytest.fixture
def ledger(engine: Engine) -> Ledger:
    made = Ledger(engine)
    for code in ("LO-A", "LO-B"):
        made.lot(code)
        made.event(code)
    build(engine)
    made.event("LO-A")
    build(engine)
    return made


def _run(*args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(cli, ["heads", *args])
    return result.exit_code, result.output.splitlines()


def test_rebuild_prints_both_roots_and_exits_0_when_they_agree(
    engine: Engine, ledger: Ledger
) -> None:
    root = to_hex(expected_root(ledger.heads))

    code, lines = _run("rebuild")

    assert code == 0
    assert lines == [
        f"Gốc tính lại từ các sự kiện đã neo / root recomputed from the anchored events: {root}",
        f"Gốc ghi ở đợt neo mới nhất / root recorded by the newest batch: {root}",
        f"Gốc của bản đồ đã lưu / root of the stored map: {root}",
        "Khớp: bản đồ đầu lô đúng với các sự kiện đã neo / "
        "match: the heads map agrees with the anchored events",
    ]


def test_rebuild_exits_1_when_an_anchored_head_was_removed(engine: Engine, ledger: Ledger) -> None:
    head_hash, _ = ledger.heads["LO-A"]
    execute(engine, "UPDATE event SET schema_version = 1 WHERE event_hash = :h", h=head_hash)

    code, lines = _run("rebuild")

    assert code == 1
    assert lines[-1].startswith("Không khớp")
    assert lines[1].endswith(heads_batches(engine)[-1].heads_root or "")


def test_rebuild_exits_1_when_a_stored_node_was_changed(engine: Engine, ledger: Ledger) -> None:
    execute(engine, "DELETE FROM headsnode WHERE height = 256")

    code, lines = _run("rebuild")

    assert code == 1
    assert lines[2].endswith(to_hex(bytes(32)))


def test_show_prints_the_head_and_a_proof_that_holds(engine: Engine, ledger: Ledger) -> None:
    head_hash, seq = ledger.heads["LO-A"]

    code, lines = _run("show", "LO-A")

    assert code == 0
    assert lines[1].endswith(f"seq {seq}, {head_hash}")
    assert lines[2].startswith("bitmap: 0x") and lines[3] == "siblings:"
    assert lines[-1] == "Chứng minh hợp lệ / the proof holds"


def test_show_proves_that_a_lot_without_anchored_events_has_no_head(
    engine: Engine, ledger: Ledger
) -> None:
    code, lines = _run("show", "LO-NEVER")

    assert code == 0
    assert "Lô chưa có sự kiện nào được neo / the lot has no anchored event" in lines
    assert lines[-1] == "Chứng minh hợp lệ / the proof holds"


def test_replay_explains_every_batch_of_a_right_history(engine: Engine, ledger: Ledger) -> None:
    code, lines = _run("rebuild", "--replay")

    assert code == 0
    assert "Số đợt neo đã phát lại đúng / batches replayed and found right: 2" in lines


def test_replay_names_the_batch_that_does_not_start_where_the_one_before_ended(
    engine: Engine, ledger: Ledger
) -> None:
    """The final roots still agree, so only the replay sees it."""
    _, second = heads_batches(engine)
    execute(engine, "UPDATE batch SET prev_heads_root = :r WHERE id = :id",
            r=to_hex(bytes(32)), id=second.id)  # fmt: skip

    assert _run("rebuild")[0] == 0
    code, lines = _run("rebuild", "--replay")

    assert code == 1
    assert f"{BROKEN_PREV}: {second.id}" in lines
    assert lines[-1].startswith("Không khớp")


def test_replay_names_the_batch_whose_events_no_longer_give_its_root(
    engine: Engine, ledger: Ledger
) -> None:
    first_hash, _ = ledger.heads["LO-B"]
    execute(engine, "UPDATE event SET event_hash = :h WHERE event_hash = :old",
            h=to_hex(b"\x05" * 32), old=first_hash)  # fmt: skip

    code, lines = _run("rebuild", "--replay")

    assert code == 1
    assert any(line.endswith(f": {heads_batches(engine)[0].id}") for line in lines)
    assert "Số đợt neo đã phát lại đúng / batches replayed and found right: 0" in lines
