"""A ready server process sets its start-up objects aside from the garbage collector."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from backend.http.startup_heap import freeze_startup_heap


@pytest.fixture
def thawed_afterwards() -> Iterator[None]:
    yield
    gc.unfreeze()  # the test process builds many apps; none of their objects stays frozen


@pytest.mark.slow  # starts the whole app and walks its heap
def test_what_is_alive_when_ready_is_frozen_and_no_longer_walked(thawed_afterwards: None) -> None:
    held = [[n] for n in range(10_000)]  # long-lived objects made during start-up
    frozen = freeze_startup_heap()
    assert frozen >= len(held)
    assert gc.get_freeze_count() == frozen
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert not any(id(d) in oldest for d in held[::500])
    made_later = [[n] for n in range(1_000)]
    gc.collect()
    oldest = {id(o) for o in gc.get_objects(generation=2)}
    assert all(id(d) in oldest for d in made_later[::100])  # the requests' objects still are
