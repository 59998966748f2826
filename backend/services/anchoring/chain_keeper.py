"""Keeps a web worker's chain client fresh when that process runs no anchoring worker.

Readers (the consumer page, the verification JSON) use ``Runtime.chain`` as it is; only
``Runtime.require_chain`` replaces a client whose node went away, moved (a managed anvil
restarted on another port) or lost its registry. In a single process the anchoring worker asks
for the chain on every pass, and so keeps the client fresh for the readers as a side effect. A
web worker of ``sentrace serve --workers N`` runs no anchoring worker (the parent does), so this
thread does that one part: it asks for the chain every ``poll_s`` seconds and backs off while
the node is down. It touches no database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from backend.chain.errors import ChainError
from backend.services.anchoring.background import DEFAULT_MAX_BACKOFF_S, DaemonThread, poll_delay

logger = logging.getLogger(__name__)


@dataclass
class ChainKeeper:
    """Calls ``refresh`` every ``poll_s`` seconds in a daemon thread; backs off on ChainError."""

    refresh: Callable[[], object]
    poll_s: float
    max_backoff_s: float = DEFAULT_MAX_BACKOFF_S
    name: str = "sentrace-chain-keeper"
    failures: int = 0
    _thread: DaemonThread = field(init=False)

    def __post_init__(self) -> None:
        self._thread = DaemonThread(self._loop, name=self.name, label="chain keeper")

    def start(self) -> None:
        """Start the daemon thread (idempotent)."""
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the loop to end and wait for it (a refresh in progress finishes first)."""
        self._thread.stop(timeout)

    @property
    def running(self) -> bool:
        return self._thread.running

    def _loop(self) -> None:
        while self._thread.sleep(self._delay()):
            try:
                self.refresh()
            except ChainError as exc:
                self.failures += 1
                if self.failures == 1:
                    logger.warning("chain not reachable (%s); retrying with back-off", exc)
            except Exception:  # a bug must not end the thread that keeps readers connected
                self.failures += 1
                logger.exception("chain refresh failed unexpectedly; will retry")
            else:
                if self.failures:
                    logger.info("chain reachable again after %d failed refreshes", self.failures)
                self.failures = 0

    def _delay(self) -> float:
        return poll_delay(self.failures, poll_s=self.poll_s, max_s=self.max_backoff_s)
