"""Concurrent requests share the canary read, and none is answered by a read older than it.

``ChainFactCache.check_canary`` lets the requests in flight share one node read, but a request
only accepts a read that started after it arrived: sharing must never make a verdict staler
than a private read would have.
"""

from __future__ import annotations

import threading

import pytest

from backend.chain.errors import ChainUnavailable
from backend.chain.fact_cache import ChainFactCache, FinalAnchor

KEY = (31337, "0x" + "ab" * 20)
ROOT = "0x" + "11" * 32
GOOD = b"\x01" * 32
FORKED = b"\x02" * 32


def _cache() -> ChainFactCache:
    cache = ChainFactCache()
    cache.remember_anchor(KEY, ROOT, FinalAnchor(7, "0xtx", 3, 0), block_hash=GOOD)
    return cache


class GatedReader:
    """A node read that blocks until the test lets it finish, counting the reads started."""

    def __init__(self, answer: bytes | None = GOOD) -> None:
        self.answer = answer
        self.started = 0
        self.release = threading.Event()
        self.entered = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, number: int) -> bytes | None:
        assert number == 7
        with self._lock:
            self.started += 1
        self.entered.set()
        assert self.release.wait(10)
        return self.answer


def _run(cache: ChainFactCache, reader: GatedReader, results: list[object]) -> threading.Thread:
    def target() -> None:
        try:
            results.append(cache.check_canary(KEY, reader))
        except Exception as exc:
            results.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    return thread


def _wait_for_waiters(cache: ChainFactCache, count: int) -> None:
    """Until ``count`` threads are parked on the cache's condition (white-box, no sleeps)."""
    for _ in range(1000):
        with cache._canary_done:
            if len(cache._canary_done._waiters) >= count:  # type: ignore[attr-defined]
                return
        threading.Event().wait(0.005)
    raise AssertionError(f"{count} waiters never arrived")


def test_requests_arriving_during_a_read_share_the_next_one() -> None:
    cache = _cache()
    reader = GatedReader()
    results: list[object] = []
    first = _run(cache, reader, results)
    assert reader.entered.wait(10)
    # These arrive while the first read is running: it started before them, so they may not
    # use it; they wait, and then share ONE new read between them.
    late = [_run(cache, reader, results) for _ in range(8)]
    _wait_for_waiters(cache, 8)
    reader.release.set()
    for thread in [first, *late]:
        thread.join(10)
    assert results == [False] * 9
    assert reader.started == 2


def test_a_changed_canary_drops_the_facts_once_and_every_sharer_sees_it() -> None:
    cache = _cache()
    reader = GatedReader(answer=FORKED)
    reader.release.set()
    assert cache.check_canary(KEY, reader) is True
    assert cache.anchor(KEY, ROOT) is None and cache.canary(KEY) is None
    assert cache.check_canary(KEY, reader) is False  # nothing cached, nothing to check


def test_a_failed_read_is_raised_to_everyone_sharing_it() -> None:
    cache = _cache()
    gate = threading.Event()
    calls: list[int] = []

    def failing(number: int) -> bytes | None:
        calls.append(number)
        gate.wait(10)
        raise ChainUnavailable("node down")

    results: list[object] = []
    blocker = GatedReader()
    first = _run(cache, blocker, results)
    assert blocker.entered.wait(10)
    late = [_run(cache, failing, results) for _ in range(4)]  # type: ignore[arg-type]
    _wait_for_waiters(cache, 4)
    blocker.release.set()
    gate.set()
    for thread in [first, *late]:
        thread.join(10)
    assert len(calls) == 1
    assert results.count(False) == 1  # the first request, answered by its own read
    assert sum(isinstance(r, ChainUnavailable) for r in results) == 4


def test_a_lone_request_reads_every_time() -> None:
    cache = _cache()
    reader = GatedReader()
    reader.release.set()
    for _ in range(3):
        assert cache.check_canary(KEY, reader) is False
    assert reader.started == 3


@pytest.mark.parametrize("answer", [None, FORKED])
def test_a_missing_or_different_block_counts_as_changed(answer: bytes | None) -> None:
    reader = GatedReader(answer=answer)
    reader.release.set()
    assert _cache().check_canary(KEY, reader) is True


# ------------------------------------------------------------- spared under the same head

HEAD = (9, b"\x09" * 32)
NEXT_HEAD = (10, b"\x0a" * 32)


class CountingReader:
    """A node read that answers at once, counting the blocks asked for."""

    def __init__(self, answers: dict[int, bytes | None] | None = None) -> None:
        self.answers = answers if answers is not None else {7: GOOD}
        self.asked: list[int] = []

    def __call__(self, number: int) -> bytes | None:
        self.asked.append(number)
        return self.answers.get(number)


def test_the_canary_is_read_once_per_head_block() -> None:
    cache = _cache()
    reader = CountingReader()
    for _ in range(3):
        assert cache.check_canary(KEY, reader, head=HEAD) is False
    assert reader.asked == [7]
    assert cache.check_canary(KEY, reader, head=NEXT_HEAD) is False
    assert reader.asked == [7, 7]


def test_a_head_below_the_canary_block_never_vouches_for_it() -> None:
    cache = _cache()
    reader = CountingReader()
    for _ in range(2):
        assert cache.check_canary(KEY, reader, head=(6, b"\x06" * 32)) is False
    assert reader.asked == [7, 7]


def test_a_canary_raised_since_is_read_even_at_the_same_head() -> None:
    cache = _cache()
    reader = CountingReader({7: GOOD, 8: b"\x08" * 32})
    assert cache.check_canary(KEY, reader, head=HEAD) is False
    other = "0x" + "22" * 32
    cache.remember_anchor(KEY, other, FinalAnchor(8, "0xtx2", 1, 0), block_hash=b"\x08" * 32)
    assert cache.check_canary(KEY, reader, head=HEAD) is False
    assert reader.asked == [7, 8]


def test_a_reset_chain_shows_a_new_head_and_its_facts_are_dropped_at_once() -> None:
    cache = _cache()
    reader = CountingReader()
    assert cache.check_canary(KEY, reader, head=HEAD) is False
    reader.answers = {}  # the node was reset: block 7 is gone, and so is the head it had
    assert cache.check_canary(KEY, reader, head=(2, b"\x02" * 32)) is True
    assert cache.anchor(KEY, ROOT) is None and cache.canary(KEY) is None
    # The old head seen again vouches for nothing: the canary it stood for was dropped.
    cache.remember_anchor(KEY, ROOT, FinalAnchor(7, "0xtx", 3, 0), block_hash=GOOD)
    reader.answers = {7: GOOD}
    assert cache.check_canary(KEY, reader, head=HEAD) is False
    assert reader.asked == [7, 7, 7]


def test_a_failed_read_vouches_for_no_head() -> None:
    cache = _cache()

    def failing(number: int) -> bytes | None:
        raise ChainUnavailable("node down")

    with pytest.raises(ChainUnavailable):
        cache.check_canary(KEY, failing, head=HEAD)
    reader = CountingReader()
    assert cache.check_canary(KEY, reader, head=HEAD) is False
    assert reader.asked == [7]
