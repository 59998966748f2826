"""Local nonce allocation, so that several transactions can be in flight at once.

Asking the node for the nonce before every send is racy (two sends read the same pending count)
and slow. Instead the next nonce is kept here, under a lock, and read from the node's pending
count only at start and after any failed send, when our count can no longer be trusted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


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
            if self._next is None:
                self._next = self._fetch()
            nonce = self._next
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
