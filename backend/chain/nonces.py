"""Nonce allocation, so that several transactions can be in flight at once.

Asking the node for the nonce and using it as it is would be racy inside one process (two sends
read the same pending count before either reaches the node), so the next nonce is kept here,
under a lock held until the transaction is sent. The local counter alone is not enough either:
another process may sign with the same key (``sentrace serve --workers N``: the anchoring
worker in the parent and an admin's "anchor now" in a web worker; several servers on one
PostgreSQL; ``sentrace anchor`` next to a server). The sender lock keeps them from sending at
the same moment, but after another process has sent, this process's counter is behind the
chain. So every reservation also reads the node's pending count and takes the larger of the
two: the node's count is right after someone else sent, ours is right while our own last
transaction is not yet visible in the node's pool. One ``eth_getTransactionCount`` per
transaction is cheap beside the estimate, fee and send calls each transaction already makes.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

logger = logging.getLogger(__name__)


class NonceManager:
    """Hands out consecutive nonces; ``fetch`` reads the account's pending transaction count."""

    def __init__(self, fetch: Callable[[], int]) -> None:
        self._fetch = fetch
        self._next: int | None = None
        self._lock = threading.Lock()

    @contextmanager
    def reserve(self) -> Iterator[int]:
        """Hold the next nonce while a transaction is signed and sent.

        The lock is held until the block exits, so transactions reach the node in nonce order.
        If the block raises, the counter is dropped and re-read on the next reservation.
        """
        with self._lock:
            pending = self._fetch()
            if self._next is not None and pending > self._next:
                logger.info(
                    "the signing key was used elsewhere: nonce %d → %d (node's pending count)",
                    self._next,
                    pending,
                )
            nonce = pending if self._next is None else max(self._next, pending)
            try:
                yield nonce
            except BaseException:
                self._next = None
                raise
            self._next = nonce + 1

    def invalidate(self) -> None:
        """Forget the counter (e.g. after a chain reset); the next reservation re-reads it."""
        with self._lock:
            self._next = None
