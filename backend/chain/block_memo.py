"""What a registry's state says at one block, remembered by that block's hash.

Every verification reads some of the registry's current state: its heads root and, per
signed event, the record of the key that signed it. That state changes only when a block
does, and a block is named exactly by its hash, so an answer read at block B is the answer
for every request that finds B at the head: a revocation or a new anchor makes a new block,
a new head hash and a fresh read, and a reorg that replaces B replaces its hash too. Nothing
is kept by lot or by verdict; only (chain, registry, block hash, question) → answer.

Only the newest few blocks of each chain are kept (readers only ever ask about the head they
have just read), and each block keeps a bounded number of answers, so memory stays flat
however many lots and keys are read.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

#: Blocks remembered per chain: the head and a few before it (requests in flight).
DEFAULT_BLOCKS_KEPT = 4
#: Answers remembered per block (a block whose answers fill it is read afresh past that).
DEFAULT_ANSWERS_PER_BLOCK = 4096

Answer = TypeVar("Answer")
#: (chain id, registry address), as ``fact_cache.ChainFactCache.chain_key`` makes it.
ChainKey = tuple[int, str]
_BlockId = tuple[ChainKey, bytes]


class BlockMemo:
    """Thread-safe answers to state questions, per (chain, registry) and block hash."""

    def __init__(
        self,
        *,
        blocks_kept: int = DEFAULT_BLOCKS_KEPT,
        answers_per_block: int = DEFAULT_ANSWERS_PER_BLOCK,
    ) -> None:
        self._blocks_kept = blocks_kept
        self._answers_per_block = answers_per_block
        self._lock = threading.Lock()
        self._blocks: OrderedDict[_BlockId, dict[Hashable, object]] = OrderedDict()

    def answer(
        self, key: ChainKey, block_hash: bytes, question: Hashable, read: Callable[[], Answer]
    ) -> Answer:
        """The answer to ``question`` at the block ``block_hash`` of chain ``key``: remembered,
        or ``read()`` now (outside the lock; what it raises is raised, and nothing is kept)."""
        block = (key, bytes(block_hash))
        with self._lock:
            answers = self._blocks.get(block)
            if answers is not None and question in answers:
                return answers[question]  # type: ignore[return-value]
        value = read()
        with self._lock:
            answers = self._blocks.get(block)
            if answers is None:
                answers = self._blocks[block] = {}
                self._forget_old_blocks(key)
            if len(answers) < self._answers_per_block:
                answers[question] = value
        return value

    def _forget_old_blocks(self, key: ChainKey) -> None:
        """Keep the newest ``blocks_kept`` blocks of ``key`` (the caller holds the lock)."""
        of_chain = [block for block in self._blocks if block[0] == key]
        for block in of_chain[: max(0, len(of_chain) - self._blocks_kept)]:
            del self._blocks[block]

    def drop_chain(self, key: ChainKey) -> None:
        """Forget every block of one chain and registry."""
        with self._lock:
            for block in [block for block in self._blocks if block[0] == key]:
                del self._blocks[block]

    def clear(self) -> None:
        with self._lock:
            self._blocks.clear()

    def __len__(self) -> int:
        """Answers remembered, over every block."""
        with self._lock:
            return sum(len(answers) for answers in self._blocks.values())
