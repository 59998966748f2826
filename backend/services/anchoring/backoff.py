"""What a refused send does to its row (a batch or an outbox action): wait, fail, or count.

The error's class (:func:`backend.chain.error_classes.classify`) decides:

* temporary (rate limit, pool full, nonce race, no ether yet, registry paused): the row stays
  pending and waits, doubling each time (2 s, 4 s … capped at 5 minutes), and is never failed
  for it. A wait only a person can end (the account needs ether) is logged as an error and said
  in ``last_error``, where operators read a batch's state (``GET /api/v1/batches/{root}``);
* permanent (wrong chain id, more gas than a block holds…): the row fails now, reason kept;
* reverted (pre-flight or mined with status 0): sent again on the next pass (no wait: the
  count bounds it, and a stale heads root read just before sending is best read again at once),
  at most :data:`MAX_REVERTS` times in all, then failed with the decoded revert reason.

Anchors also go in batch order (:class:`BatchOrder`): each batch's heads root is the next one's
``prev``, so a batch that waits holds back the ones after it, and a batch whose ``prev`` is an
older batch's root not yet mined waits for it to land.

Waits and revert counts live in memory: a restart forgets them, which only means the rows are
tried again sooner (and a reverting one gets a few more tries), never that anything is lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

from backend.chain import ChainClient
from backend.chain.error_classes import ErrorClass, classify
from backend.hashing import from_hex
from backend.models import Batch, BatchStatus, ChainAction
from backend.timeutil import as_utc, utcnow

logger = logging.getLogger(__name__)

#: ("batch", id) or ("action", id): batches and outbox actions have ids of their own.
Key = tuple[str, int]

BASE_S = 2.0
MAX_S = 300.0
#: Reverts (estimate or mined) before a row fails for good with the revert reason.
MAX_REVERTS = 3
#: What an operator must do when the node says the account cannot pay for gas.
FUND_ACCOUNT = "an operator must fund the anchoring account; sending resumes by itself"


class Backoff:
    """Per-key exponential waits: ``wait`` after each refusal, ``due`` before each try."""

    def __init__(
        self,
        *,
        base_s: float | None = None,
        max_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_s = BASE_S if base_s is None else base_s  # read now: tests may shorten it
        self.max_s = MAX_S if max_s is None else max_s
        self._clock = clock
        self._until: dict[Key, float] = {}
        self._streak: Counter[Key] = Counter()
        self._lock = threading.Lock()

    def due(self, key: Key) -> bool:
        """Whether ``key`` may be tried now (never refused, or its wait is over)."""
        with self._lock:
            return self._clock() >= self._until.get(key, 0.0)

    def wait(self, key: Key) -> float:
        """One more refusal of ``key``: the seconds until it may be tried again."""
        with self._lock:
            self._streak[key] += 1
            delay = min(self.max_s, self.base_s * 2 ** (self._streak[key] - 1))
            self._until[key] = self._clock() + delay
            return delay

    def reset(self, key: Key) -> None:
        """``key`` went through: its next refusal starts from the shortest wait again."""
        with self._lock:
            self._until.pop(key, None)
            self._streak.pop(key, None)


class SendFailures:
    """Settles refused sends and reverted transactions on their rows (shared by the batch
    pipeline and the outbox, so one process keeps one set of waits)."""

    def __init__(self, backoff: Backoff | None = None, *, max_reverts: int = MAX_REVERTS) -> None:
        self.backoff = backoff or Backoff()
        self.max_reverts = max_reverts
        #: Reverts per row, with the row's attempts at the last one: attempts going down mean
        #: an operator gave the row a fresh start (``reconcile --retry-failed``).
        self._reverts: dict[Key, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def due(self, key: Key) -> bool:
        return self.backoff.due(key)

    def sent(self, key: Key) -> None:
        """A send went through. Revert counts stay: a transaction that is sent but reverts
        when mined must not be sent for ever."""
        self.backoff.reset(key)

    def settle(
        self, key: Key, row: Batch | ChainAction, exc: BaseException, *, final: bool = False
    ) -> bool:
        """Write what ``exc`` means into ``row`` (``last_error``, maybe ``FAILED``); the caller
        commits. True when the row failed for good. ``final``: fail whatever the class."""
        found = classify(exc)
        what = f"{key[0]} {key[1]}"
        if not final and found.kind is ErrorClass.REVERTED:
            with self._lock:
                count, attempts = self._reverts.get(key, (0, 0))
                reverts = 1 if row.attempts < attempts else count + 1
                self._reverts[key] = (reverts, row.attempts)
            final = reverts >= self.max_reverts
            note = f"revert {reverts} of at most {self.max_reverts}"
        elif not final and found.kind is ErrorClass.TEMPORARY:
            delay = self.backoff.wait(key)
            reason = f"{found.why}; {FUND_ACCOUNT}" if found.needs_operator else found.why
            row.last_error = f"waiting {delay:.0f} s to send again ({reason}): {exc}"[:2000]
            log = logger.error if found.needs_operator else logger.warning
            log("%s: %s", what, row.last_error)
            return False
        else:
            final, note = True, found.kind.value
        if final:
            row.status = BatchStatus.FAILED
            row.last_error = f"failed ({note}, {found.why}): {exc}"[:2000]
            logger.error("%s %s", what, row.last_error)
            return True
        row.last_error = f"{note}, sending again: {exc}"[:2000]
        logger.warning("%s: %s", what, row.last_error)
        return False


#: A transaction still waiting in the pool after this long is replaced by a new one (the node
#: may hold it behind a nonce gap after a restart); the contract refuses a second anchor.
STUCK_AFTER_S = 300.0


def stuck(batch: Batch) -> bool:
    """Whether ``batch``'s transaction has waited in the pool longer than :data:`STUCK_AFTER_S`."""
    if batch.sent_at is None:
        return False
    return (utcnow() - as_utc(batch.sent_at)).total_seconds() > STUCK_AFTER_S


class BatchOrder:
    """Which pending batches one pass may send, oldest first.

    The registry refuses an anchor whose ``prev`` heads root is not the one it holds, and the
    refusal is final for a batch whose heads roots the ledger recorded. So a batch is not sent
    while it waits after a refusal, nor after an older batch that is still pending, nor while
    the older batch whose root is its ``prev`` is sent but not mined: an estimate made before
    that lands would read as stale, though nothing is wrong.
    """

    def __init__(self, failures: SendFailures) -> None:
        self._failures = failures
        self._held = False
        self._open_heads: set[str] = set()

    def begin(self) -> None:
        """A new pass over the open batches."""
        self._held = False
        self._open_heads = set()

    def may_send(self, chain: ChainClient, batch: Batch) -> bool:
        if self._held or not self._failures.due(("batch", batch.id or 0)):
            return False
        prev = batch.prev_heads_root
        return prev not in self._open_heads or chain.heads_root() == from_hex(prev or "")

    def after(self, batch: Batch) -> None:
        """``batch`` had its step (sent or not, confirmed or not) in this pass."""
        if batch.status is BatchStatus.SENT:
            self._failures.sent(("batch", batch.id or 0))
        if batch.status is BatchStatus.PENDING:
            self._held = True
        if batch.status in (BatchStatus.PENDING, BatchStatus.SENT) and batch.heads_root:
            self._open_heads.add(batch.heads_root)
