"""In-process memory of chain facts that can no longer change, so reads stay fast.

The consumer page verifies a lot on every scan. Recomputing hashes and proofs is cheap; asking
the node whether each root is anchored is not. Once a root sits under enough confirmations the
answer is final, so it is kept here, keyed by chain id and registry address (two chains or two
deployments never share an entry).

"Final" is a policy, not a law: a reorg deeper than the confirmations, or a development chain
that was reset, can still take an anchor away. So with the anchors the cache keeps a *canary*:
the number and hash of the highest block holding a cached anchor. A reader checks that one
block once per request (one call instead of one per root); if its hash changed or it is gone,
every block above the fork point changed too, so the chain's cached facts are all dropped and
asked for again. Concurrent readers share that check (:meth:`ChainFactCache.check_canary`):
a request waits for a node read that *started after it arrived*, so it is never answered from
an older read than its own would have been, while 32 requests in flight cost one or two reads
instead of 32. Entries also expire after a TTL, and reconcile drops roots it finds missing.

A request names the head block it verifies at (it reads the head anyway, for the registry's
state). A block's hash commits to its parent's, and so to every block beneath it: once the
canary was read unchanged by a request at head H, the canary is unchanged for every later
request that finds the same H, and only a new head (a new block, a reorg, a reset) costs a
canary read again. A chain that is reset or reorganised always shows a different head, so it
is still seen by the first request after it (the assumption: the node does not switch
branches and back between a request's head read and its canary read, a few milliseconds).

Negative and "not yet final" answers are never cached. A recall on chain is final by contract
and cached like an anchor; "not recalled" is remembered for a few seconds only. A lot's
milestone or recall log deep enough is cached like an anchor, and raises the canary likewise.
A failed read trips a short circuit breaker, so a dead node costs one timeout every few seconds
rather than one per root, while facts cached before the outage are still served. State that
does change (the heads root, a key's record) is kept apart, per block hash (``block_memo``),
and the head block that names it is one read shared by the requests in flight (``shared_read``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from backend.chain.block_memo import BlockMemo
from backend.chain.shared_read import SharedRead

#: How long a final anchor is trusted without asking the node again.
DEFAULT_FINAL_TTL_S = 300.0
#: How long "this lot is not recalled on chain" is trusted (it can change at any block).
DEFAULT_NEGATIVE_TTL_S = 5.0
#: After a failed read, how long readers skip the node and answer "unknown" straight away.
DEFAULT_BREAKER_S = 5.0


@dataclass(frozen=True)
class FinalAnchor:
    """A root anchored deep enough to count as final."""

    block_number: int
    tx_hash: str | None
    event_count: int
    timestamp: int


@dataclass(frozen=True)
class FinalLog:
    """A registry log (a lot's milestone or recall) in a block deep enough to count as final."""

    block_number: int
    tx_hash: str


@dataclass(frozen=True)
class Canary:
    """The highest block holding a cached fact, and its hash when it was cached."""

    block_number: int
    block_hash: bytes


ChainKey = tuple[int, str]
#: The head block a request verifies at: its number and hash.
HeadMark = tuple[int, bytes]
_Fact = TypeVar("_Fact")
#: Reads the hash of block N from the node (None: no such block); raises on node errors.
BlockHashReader = Callable[[int], "bytes | None"]


@dataclass
class _CanaryFlight:
    """Book-keeping of the shared canary read of one chain (guarded by the cache's condition)."""

    started: int = 0  # reads started so far; a read's number is its position in that sequence
    finished: int = 0  # number of the last read that finished
    outcome: BaseException | None = None  # what that read raised, if anything
    running: bool = False


class ChainFactCache:
    """Thread-safe map of final anchors, recalls and lot logs per (chain id, registry)."""

    def __init__(
        self,
        *,
        final_ttl_s: float = DEFAULT_FINAL_TTL_S,
        negative_ttl_s: float = DEFAULT_NEGATIVE_TTL_S,
        breaker_s: float = DEFAULT_BREAKER_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._final_ttl_s = final_ttl_s
        self._negative_ttl_s = negative_ttl_s
        self._breaker_s = breaker_s
        self._clock = clock
        self._lock = threading.Lock()
        self._canary_done = threading.Condition(threading.Lock())
        self._flights: dict[ChainKey, _CanaryFlight] = {}
        self._anchors: dict[tuple[ChainKey, str], tuple[float, FinalAnchor]] = {}
        self._recalls: dict[tuple[ChainKey, str], tuple[float, bool]] = {}
        self._logs: dict[tuple[ChainKey, str], tuple[float, FinalLog]] = {}
        self._canaries: dict[ChainKey, Canary] = {}
        #: Per chain, the head block under which the current canary was last read unchanged.
        self._canary_heads: dict[ChainKey, tuple[bytes, Canary]] = {}
        self._down_until = 0.0
        self._last_key: ChainKey | None = None
        #: The registry's state per block (heads root, signer records), by block hash.
        self.blocks = BlockMemo()
        #: The node's head block, one read shared by the requests in flight (``shared_read``).
        self.head_reads: SharedRead[Any] = SharedRead()

    @staticmethod
    def chain_key(chain_id: int, contract_address: str) -> ChainKey:
        return (chain_id, contract_address.lower())

    def _fresh(
        self,
        table: dict[tuple[ChainKey, str], tuple[float, _Fact]],
        entry_key: tuple[ChainKey, str],
        ttl: Callable[[_Fact], float],
    ) -> _Fact | None:
        """The fact stored under ``entry_key`` unless it outlived ``ttl`` (then it is dropped).

        The caller holds the lock; ``ttl`` may depend on the fact ("not recalled" ages faster).
        """
        entry = table.get(entry_key)
        if entry is None:
            return None
        stored_at, fact = entry
        if self._clock() - stored_at > ttl(fact):
            del table[entry_key]
            return None
        return fact

    # ------------------------------------------------------------------------- anchors

    def anchor(self, key: ChainKey, root: str) -> FinalAnchor | None:
        """The cached final anchor of ``root``, or None when unknown or expired."""
        with self._lock:
            return self._fresh(self._anchors, (key, root.lower()), lambda _fact: self._final_ttl_s)

    def remember_anchor(
        self, key: ChainKey, root: str, fact: FinalAnchor, *, block_hash: bytes
    ) -> None:
        """Record a root that is final; ``block_hash`` is the hash of its block, now."""
        with self._lock:
            self._anchors[(key, root.lower())] = (self._clock(), fact)
            self._raise_canary(key, Canary(fact.block_number, block_hash))

    def forget_anchor(self, key: ChainKey, root: str) -> None:
        """Drop a root the reconcile pass found missing on chain."""
        with self._lock:
            self._anchors.pop((key, root.lower()), None)

    # ------------------------------------------------------------------------- recalls

    def recalled(self, key: ChainKey, lot_key: str) -> bool | None:
        """Whether the lot is recalled on chain, if known recently enough; None otherwise."""
        with self._lock:
            return self._fresh(
                self._recalls,
                (key, lot_key.lower()),
                lambda value: self._final_ttl_s if value else self._negative_ttl_s,
            )

    def remember_recall(self, key: ChainKey, lot_key: str, recalled: bool) -> None:
        with self._lock:
            self._recalls[(key, lot_key.lower())] = (self._clock(), recalled)

    # ---------------------------------------------------------------------------- logs

    def log(self, key: ChainKey, name: str) -> FinalLog | None:
        """The cached final log called ``name``, or None when unknown or expired."""
        with self._lock:
            return self._fresh(self._logs, (key, name.lower()), lambda _fact: self._final_ttl_s)

    def remember_log(self, key: ChainKey, name: str, fact: FinalLog, *, block_hash: bytes) -> None:
        """Record a log that is final; ``block_hash`` is the hash of its block, now."""
        with self._lock:
            self._logs[(key, name.lower())] = (self._clock(), fact)
            self._raise_canary(key, Canary(fact.block_number, block_hash))

    # ------------------------------------------------------------------------ canaries

    def canary(self, key: ChainKey) -> Canary | None:
        with self._lock:
            return self._canaries.get(key)

    def _raise_canary(self, key: ChainKey, candidate: Canary) -> None:
        current = self._canaries.get(key)
        if current is None or candidate.block_number >= current.block_number:
            self._canaries[key] = candidate

    def check_canary(
        self, key: ChainKey, read_block_hash: BlockHashReader, *, head: HeadMark | None = None
    ) -> bool:
        """Check the canary block of ``key`` is unchanged; True when it changed (facts dropped).

        Callers that arrive while a read is running wait for it to end and then for a read that
        started after they arrived (one of them starts it): the answer is as fresh as a read
        of their own, and concurrent requests share it. What the read raises (the node is
        down) is raised to every caller that shares it. ``head``, the block the caller verifies
        at, spares the read when the canary was last read unchanged under that same block.
        """
        if head is not None and self._stands_under(key, head[1]):
            return False
        with self._canary_done:
            flight = self._flights.setdefault(key, _CanaryFlight())
            arrived_after = flight.started
            while flight.finished <= arrived_after:
                if not flight.running:
                    flight.running = True
                    flight.started += 1
                    number = flight.started
                    break
                self._canary_done.wait()
            else:
                if flight.outcome is not None:
                    raise flight.outcome
                return False
        changed = False
        outcome: BaseException | None = None
        try:
            changed, checked = self._read_canary(key, read_block_hash)
        except Exception as exc:  # handed to the callers sharing this read, then raised
            outcome = exc
        else:
            if head is not None and checked is not None and not changed:
                self._remember_head(key, head, checked)
        with self._canary_done:
            flight.running = False
            flight.finished = number
            flight.outcome = outcome
            self._canary_done.notify_all()
        if outcome is not None:
            raise outcome
        return changed

    def _read_canary(
        self, key: ChainKey, read_block_hash: BlockHashReader
    ) -> tuple[bool, Canary | None]:
        """(changed, the canary read); the canary is None when there was none to read."""
        canary = self.canary(key)
        if canary is None:
            return False, None
        if read_block_hash(canary.block_number) == canary.block_hash:
            return False, canary
        self.drop_chain(key)
        return True, canary

    def _stands_under(self, key: ChainKey, head_hash: bytes) -> bool:
        """Whether the current canary (if any) was read unchanged under the head ``head_hash``."""
        with self._lock:
            canary = self._canaries.get(key)
            if canary is None:
                return True
            return self._canary_heads.get(key) == (head_hash, canary)

    def _remember_head(self, key: ChainKey, head: HeadMark, checked: Canary) -> None:
        """Note that ``checked`` was read unchanged at the head ``head`` (a head below the
        canary's block cannot vouch for it)."""
        number, head_hash = head
        if number < checked.block_number:
            return
        with self._lock:
            if self._canaries.get(key) == checked:
                self._canary_heads[key] = (head_hash, checked)

    def drop_chain(self, key: ChainKey) -> None:
        """Forget every fact of one chain and registry (its canary block changed)."""
        with self._lock:
            self._anchors = {k: v for k, v in self._anchors.items() if k[0] != key}
            self._recalls = {k: v for k, v in self._recalls.items() if k[0] != key}
            self._logs = {k: v for k, v in self._logs.items() if k[0] != key}
            self._canaries.pop(key, None)
            self._canary_heads.pop(key, None)
        self.blocks.drop_chain(key)

    # -------------------------------------------------------------- identity and health

    def remember_key(self, key: ChainKey) -> None:
        """The (chain id, registry) last read successfully, for use while the node is down."""
        with self._lock:
            self._last_key = key

    def last_key_for(self, contract_address: str) -> ChainKey | None:
        with self._lock:
            key = self._last_key
        return key if key is not None and key[1] == contract_address.lower() else None

    def mark_chain_down(self) -> None:
        """A read failed: let readers skip the node for a few seconds (circuit breaker)."""
        with self._lock:
            self._down_until = self._clock() + self._breaker_s

    def chain_recently_down(self) -> bool:
        with self._lock:
            return self._clock() < self._down_until

    def mark_chain_up(self) -> None:
        with self._lock:
            self._down_until = 0.0

    def clear(self) -> None:
        """Forget everything, e.g. after the client switched to another node or registry."""
        with self._lock:
            self._anchors.clear()
            self._recalls.clear()
            self._logs.clear()
            self._canaries.clear()
        self.blocks.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._anchors) + len(self._recalls) + len(self._logs)
