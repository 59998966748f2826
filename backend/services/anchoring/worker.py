"""The background loop that keeps anchoring: one daemon thread per process.

Each tick runs one anchoring pass (build batches, send, confirm, outbox). A reconcile pass runs
on the first tick and then every ``reconcile_every_s``. When the chain node or the database is
down the loop waits longer after each failure (exponential back-off, capped) and returns to the
normal poll interval after the first pass that works, so a node that comes back is picked up
without a restart and a dead one is not hammered.

Reconcile and the pass fail independently: a reconcile that fails (a log query the node
refuses, say) is counted apart and tried again after its own back-off, and the pass of the same
tick runs all the same, since sending and confirming do not depend on it.

The thread never holds work across a stop: everything it does is committed to the database
before it moves on, so stopping (or killing) it at any point loses nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.exc import OperationalError

from backend.chain.errors import ChainError
from backend.services.anchoring.background import DEFAULT_MAX_BACKOFF_S, DaemonThread, poll_delay

logger = logging.getLogger(__name__)

#: How often confirmed anchors are checked against the chain (reorgs, resets).
DEFAULT_RECONCILE_EVERY_S = 60.0

#: Failures that mean "try again later", as opposed to bugs that should be loud.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (ChainError, OperationalError)


@dataclass
class WorkerStats:
    """What the loop has done, for /readyz-style reporting and tests."""

    passes: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    reconciles: int = 0
    reconcile_failures: int = 0
    consecutive_reconcile_failures: int = 0
    last_error: str | None = None
    last_reconcile_error: str | None = None
    last_pass_at: float | None = None


@dataclass
class AnchorWorker:
    """Runs ``run_pass`` every ``poll_s`` seconds and ``reconcile`` now and then, in a thread.

    ``run_pass`` returns True when it left work behind (more pending events than one batch),
    in which case the next pass starts at once.
    """

    run_pass: Callable[[], bool]
    reconcile: Callable[[], object]
    poll_s: float
    max_backoff_s: float = DEFAULT_MAX_BACKOFF_S
    reconcile_every_s: float = DEFAULT_RECONCILE_EVERY_S
    name: str = "sentrace-anchor-worker"
    stats: WorkerStats = field(default_factory=WorkerStats)
    _thread: DaemonThread = field(init=False)

    def __post_init__(self) -> None:
        self._thread = DaemonThread(self._loop, name=self.name, label="anchoring worker")

    def start(self) -> None:
        """Start the daemon thread (idempotent)."""
        if self._thread.start():
            logger.info("anchoring worker started (poll every %.1f s)", self.poll_s)

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the loop to finish its current step and wait for it."""
        self._thread.stop(timeout)
        logger.info("anchoring worker stopped")

    def wake(self) -> None:
        """Run the next pass now instead of after the poll interval."""
        self._thread.wake()

    @property
    def running(self) -> bool:
        return self._thread.running

    def _loop(self) -> None:
        next_reconcile = 0.0  # reconcile on the first tick
        while not self._thread.stopping:
            if time.monotonic() >= next_reconcile:
                next_reconcile = time.monotonic() + self._reconcile()
            more_work = False
            try:
                more_work = self.run_pass()
            except TRANSIENT_ERRORS as exc:
                self._record_failure(exc, loud=False)
            except Exception as exc:  # a bug must not kill the thread that anchors everything
                self._record_failure(exc, loud=True)
            else:
                self.stats.passes += 1
                self.stats.consecutive_failures = 0
                self.stats.last_pass_at = time.time()
            self._thread.sleep(0.0 if more_work else self._delay())

    def _reconcile(self) -> float:
        """Run one reconcile; the seconds until the next (``reconcile_every_s``, or after a
        failure a back-off of its own). A failure never reaches the pass."""
        stats = self.stats
        try:
            self.reconcile()
        except Exception as exc:  # transient or a bug: either way the pass still runs
            stats.reconcile_failures += 1
            stats.consecutive_reconcile_failures += 1
            stats.last_reconcile_error = f"{type(exc).__name__}: {exc}"
            delay = poll_delay(
                stats.consecutive_reconcile_failures, poll_s=self.poll_s, max_s=self.max_backoff_s
            )
            if isinstance(exc, TRANSIENT_ERRORS):
                logger.warning("reconcile failed (%s); retrying in %.1f s", exc, delay)
            else:
                logger.exception("reconcile failed unexpectedly; retrying in %.1f s", delay)
            return delay
        stats.reconciles += 1
        stats.consecutive_reconcile_failures = 0
        return self.reconcile_every_s

    def _record_failure(self, exc: BaseException, *, loud: bool) -> None:
        self.stats.failures += 1
        self.stats.consecutive_failures += 1
        self.stats.last_error = f"{type(exc).__name__}: {exc}"
        if loud:
            logger.exception("anchoring pass failed unexpectedly; will retry")
        else:
            logger.warning("anchoring pass failed (%s); retrying in %.1f s", exc, self._delay())

    def _delay(self) -> float:
        failures = self.stats.consecutive_failures
        return poll_delay(failures, poll_s=self.poll_s, max_s=self.max_backoff_s)
