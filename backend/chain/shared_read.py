"""One node read shared by the requests waiting for it, never older than any of them.

Every verification asks the node for its head block. Under load, 32 requests in flight would
make 32 identical calls; here they share them: a caller that arrives while a read is running
waits for it to end and then for a read that *started after it arrived* (one of the waiting
callers starts it), so its answer is as fresh as a read of its own would have been: a block
mined before the caller arrived is in it. What the read raises (the node is down) is raised to
every caller that shares it. The same rule as the canary read of ``fact_cache``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

Value = TypeVar("Value")


@dataclass
class _Flight:
    """Book-keeping of one key's shared read (guarded by the reader's condition)."""

    started: int = 0  # reads started so far; a read's number is its position in that sequence
    finished: int = 0  # number of the last read that finished
    value: object = None  # what that read returned
    outcome: BaseException | None = None  # what that read raised, if anything
    running: bool = False


class SharedRead(Generic[Value]):
    """Reads of ``read()`` per key, shared between concurrent callers (see the module doc)."""

    def __init__(self) -> None:
        self._done = threading.Condition(threading.Lock())
        self._flights: dict[Hashable, _Flight] = {}

    def read(self, key: Hashable, read: Callable[[], Value]) -> Value:
        """The value of a read of ``key`` that started after this call began."""
        with self._done:
            flight = self._flights.setdefault(key, _Flight())
            arrived_after = flight.started
            while flight.finished <= arrived_after:
                if not flight.running:
                    flight.running = True
                    flight.started += 1
                    number = flight.started
                    break
                self._done.wait()
            else:
                if flight.outcome is not None:
                    raise flight.outcome
                return flight.value  # type: ignore[return-value]
        value: object = None
        outcome: BaseException | None = None
        try:
            value = read()
        except Exception as exc:  # handed to the callers sharing this read, then raised
            outcome = exc
        with self._done:
            flight.running = False
            flight.finished = number
            flight.value, flight.outcome = value, outcome
            self._done.notify_all()
        if outcome is not None:
            raise outcome
        return value  # type: ignore[return-value]
