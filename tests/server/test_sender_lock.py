"""The anchoring sender lock across processes on one SQLite file (``flock`` beside the file).

Real processes (multiprocessing, spawned as uvicorn spawns its workers) on a real database
file: while one holds the lock another is turned away at once, a killed holder leaves nothing
behind, and two processes taking turns many times never overlap.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from multiprocessing.synchronize import Barrier as BarrierType
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

import pytest

from backend.db import make_engine
from backend.services.anchoring.pass_lock import LOCK_FILE_SUFFIX, sender_lock, sqlite_lock_file

SPAWN = multiprocessing.get_context("spawn")
TURNS_EACH = 25


def _url(folder: Path) -> str:
    return f"sqlite:///{folder / 'sentrace.db'}"


def hold_until_released(url: str, held: EventType, release: EventType) -> None:
    """Child: take the lock, say so, keep it until told to let go."""
    engine = make_engine(url)
    with sender_lock(engine, threading.Lock(), wait=True) as got:
        assert got
        held.set()
        release.wait(60)
    engine.dispose()


def take_turns(url: str, journal: str, turns: int, start: BarrierType) -> None:
    """Child: ``turns`` times, take the lock (retrying while busy) and journal in and out."""
    engine = make_engine(url)
    local = threading.Lock()
    start.wait(60)  # both children are imported and ready: their turns really interleave
    done = 0
    while done < turns:
        with sender_lock(engine, local, wait=True) as got:
            if got:
                with open(journal, "a", encoding="utf-8") as out:
                    out.write(f"in {os.getpid()}\n")
                    out.flush()
                    time.sleep(0.002)  # a window in which an overlapping holder would write
                    out.write(f"out {os.getpid()}\n")
                done += 1
        if not got:
            time.sleep(0.001)
    engine.dispose()


def _start_holder(url: str) -> tuple[multiprocessing.process.BaseProcess, EventType]:
    held, release = SPAWN.Event(), SPAWN.Event()
    child = SPAWN.Process(target=hold_until_released, args=(url, held, release))
    child.start()
    assert held.wait(60), "the child never took the lock"
    return child, release


def test_another_process_is_turned_away_while_the_lock_is_held(tmp_path: Path) -> None:
    url = _url(tmp_path)
    engine = make_engine(url)
    child, release = _start_holder(url)
    try:
        with sender_lock(engine, threading.Lock(), wait=True) as got:
            assert got is False
    finally:
        release.set()
        child.join(60)
    assert child.exitcode == 0
    with sender_lock(engine, threading.Lock(), wait=True) as got:
        assert got is True
    engine.dispose()


def test_a_killed_holder_leaves_no_lock_behind(tmp_path: Path) -> None:
    url = _url(tmp_path)
    engine = make_engine(url)
    child, _release = _start_holder(url)
    child.kill()  # SIGKILL: no clean-up code runs in the holder
    child.join(60)
    with sender_lock(engine, threading.Lock(), wait=True) as got:
        assert got is True
    engine.dispose()


def test_two_processes_taking_turns_never_overlap(tmp_path: Path) -> None:
    url = _url(tmp_path)
    journal = tmp_path / "journal.txt"
    start = SPAWN.Barrier(2)
    children = [
        SPAWN.Process(target=take_turns, args=(url, str(journal), TURNS_EACH, start))
        for _ in range(2)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(120)
    assert [child.exitcode for child in children] == [0, 0]
    lines = journal.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 * 2 * TURNS_EACH
    pairs = list(zip(lines[::2], lines[1::2], strict=True))
    for entered, left in pairs:  # each "in" is followed by the same process's "out"
        assert entered.startswith("in ") and left == "out " + entered.removeprefix("in ")
    assert len({entered for entered, _ in pairs}) == 2  # both processes had turns


def test_two_senders_in_one_process_also_exclude_each_other(tmp_path: Path) -> None:
    """A flock belongs to an open file: two services in one process meet on it too."""
    engine = make_engine(_url(tmp_path))
    with (
        sender_lock(engine, threading.Lock(), wait=True) as first,
        sender_lock(engine, threading.Lock(), wait=True) as second,
    ):
        assert (first, second) == (True, False)
    engine.dispose()


def test_lock_file_sits_beside_a_file_database_and_memory_needs_none(tmp_path: Path) -> None:
    engine = make_engine(_url(tmp_path))
    assert sqlite_lock_file(engine) == Path(f"{tmp_path / 'sentrace.db'}{LOCK_FILE_SUFFIX}")
    engine.dispose()
    memory = make_engine("sqlite://")
    assert sqlite_lock_file(memory) is None
    with sender_lock(memory, threading.Lock(), wait=False) as got:
        assert got is True
    memory.dispose()


@pytest.mark.parametrize("busy_locally", [True, False])
def test_in_process_lock_still_decides_first(tmp_path: Path, busy_locally: bool) -> None:
    """``wait=False`` with the thread lock taken skips without touching the file."""
    engine = make_engine(_url(tmp_path))
    local = threading.Lock()
    if busy_locally:
        local.acquire()
    try:
        with sender_lock(engine, local, wait=False) as got:
            assert got is (not busy_locally)
    finally:
        if busy_locally:
            local.release()
    engine.dispose()
