"""A bounded memo of a pure check's answers, keyed by a 32-byte digest of the exact inputs.

``functools.lru_cache`` keeps the inputs themselves as keys: for a check of a document's
canonical bytes or of a stored Merkle proof that is 0.5–2 KB an entry, so a memo large enough
for a lot whose ancestors hold tens of thousands of events would hold tens of megabytes of
copies. Keyed by Keccak-256 of an unambiguous encoding of the inputs instead (finding two
inputs with one key would be finding a Keccak collision), an entry costs about 100 bytes.
Like ``lru_cache`` it forgets the least recently used entry first, is safe across threads,
and offers ``cache_info()`` and ``cache_clear()``. Only answers are remembered; a check that
raises remembers nothing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import NamedTuple


class MemoInfo(NamedTuple):
    hits: int
    misses: int
    maxsize: int
    currsize: int


class DigestMemo:
    """Answers (``True``/``False``) by input digest, at most ``maxsize`` of them."""

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be positive")
        self._maxsize = maxsize
        self._answers: OrderedDict[bytes, bool] = OrderedDict()
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0

    def get(self, key: bytes) -> bool | None:
        """The remembered answer for ``key``, or None (a miss)."""
        with self._lock:
            answer = self._answers.get(key)
            if answer is None:
                self._misses += 1
                return None
            self._answers.move_to_end(key)
            self._hits += 1
            return answer

    def put(self, key: bytes, answer: bool) -> None:
        with self._lock:
            self._answers[key] = answer
            self._answers.move_to_end(key)
            if len(self._answers) > self._maxsize:
                self._answers.popitem(last=False)

    def cache_info(self) -> MemoInfo:
        with self._lock:
            return MemoInfo(self._hits, self._misses, self._maxsize, len(self._answers))

    def cache_clear(self) -> None:
        with self._lock:
            self._answers.clear()
            self._hits = self._misses = 0
