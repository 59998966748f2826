"""A daemon thread that starts once, sleeps until woken, stops when told; and its back-off.

The anchoring worker and the chain keeper each run a loop in a thread of its own. Both must
start only once however often they are asked, leave their sleep at once when stopped, and wait
longer after each failure in a row so a node that is down is not hammered. That part lives
here, so each of them is only its loop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)

#: Longest wait between attempts while a dependency is down.
DEFAULT_MAX_BACKOFF_S = 30.0


def backoff_delay(failures: int, *, base_s: float, max_s: float) -> float:
    """Wait before the next try after ``failures`` consecutive failures (0 → ``base_s``)."""
    return min(max_s, base_s * (2 ** min(failures, 16)))


def poll_delay(failures: int, *, poll_s: float, max_s: float) -> float:
    """The poll interval while all goes well, the back-off after ``failures`` in a row."""
    if failures == 0:
        return poll_s
    return backoff_delay(failures - 1, base_s=poll_s, max_s=max_s)


class DaemonThread:
    """Runs ``loop`` in one daemon thread; the loop sleeps with :meth:`sleep` between steps."""

    def __init__(self, loop: Callable[[], None], *, name: str, label: str) -> None:
        self._loop = loop
        self._name = name
        self._label = label  # what the warning calls it when it does not stop in time
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def start(self) -> bool:
        """Start the thread unless it runs already; True when this call started it."""
        if self.running:
            return False
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=self._name, daemon=True)
        self._thread.start()
        return True

    def stop(self, timeout: float) -> None:
        """Ask the loop to end, wake it from its sleep and wait for it (its step finishes)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.warning("%s did not stop within %.0f s", self._label, timeout)
            self._thread = None

    def wake(self) -> None:
        """End the current (or next) sleep early."""
        self._wake.set()

    def sleep(self, seconds: float) -> bool:
        """Sleep up to ``seconds`` or until woken; False once the loop should end."""
        if seconds > 0:
            self._wake.wait(seconds)
        self._wake.clear()
        return not self._stop.is_set()
