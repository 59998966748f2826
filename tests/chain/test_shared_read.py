"""A node read shared by concurrent callers is never older than any caller that uses it.

A caller arriving while a read runs waits for a read that started after it arrived; callers
waiting together share that one; what a read raises is raised to the callers that share it
and the next caller reads again.
"""

from __future__ import annotations

import threading
import time

import pytest

from backend.chain.errors import ChainUnavailable
from backend.chain.shared_read import SharedRead

KEY = (31337, "0x5fbdb2315678afecb367f032d93f642f64180aa3")


class Node:
    """A head that moves when told; each read can be held open until released."""

    def __init__(self) -> None:
        self.head = 1
        self.reads = 0
        self.started = threading.Semaphore(0)
        self.release = threading.Event()
        self.release.set()
        self.fail = False

    def read(self) -> int:
        self.reads += 1
        seen = self.head
        self.started.release()
        assert self.release.wait(30)
        if self.fail:
            raise ChainUnavailable("node down")
        return seen


def waiting(shared: SharedRead[int]) -> int:
    """Callers blocked on the shared read's condition (CPython keeps them in ``_waiters``)."""
    with shared._done:
        return len(shared._done._waiters)  # type: ignore[attr-defined]


def test_a_caller_arriving_during_a_read_gets_a_read_that_started_after_it() -> None:
    shared: SharedRead[int] = SharedRead()
    node = Node()
    node.release.clear()
    answers: dict[str, int] = {}
    first = threading.Thread(
        target=lambda: answers.setdefault("first", shared.read(KEY, node.read))
    )
    first.start()
    assert node.started.acquire(timeout=30)  # the first read has begun, at head 1
    node.head = 2  # a block is mined; then the second caller arrives
    late = [
        threading.Thread(
            target=lambda n=n: answers.setdefault(f"late{n}", shared.read(KEY, node.read))
        )
        for n in range(3)
    ]
    for thread in late:
        thread.start()
    deadline = time.monotonic() + 30
    while waiting(shared) < 3:  # the late callers wait for the running read to end
        assert time.monotonic() < deadline, f"only {waiting(shared)} callers waiting"
        time.sleep(0.01)
    node.release.set()
    for thread in [first, *late]:
        thread.join(30)
    assert answers["first"] == 1
    assert [answers[f"late{n}"] for n in range(3)] == [2, 2, 2]  # never the older head
    assert node.reads == 2  # the three late callers shared one read


def test_a_failed_read_is_raised_to_its_caller_and_the_next_caller_reads_again() -> None:
    shared: SharedRead[int] = SharedRead()
    node = Node()
    node.fail = True
    with pytest.raises(ChainUnavailable):
        shared.read(KEY, node.read)
    node.fail = False
    assert shared.read(KEY, node.read) == 1
    assert node.reads == 2
    node.head = 5
    assert shared.read(KEY, node.read) == 5  # a caller alone always reads afresh
