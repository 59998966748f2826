"""What the chain says about roots and recalls, as seen by one verification request.

Reads go to the process-wide :class:`ChainFactCache` first (final anchors), then to the node.
Within one request each root and each lot is asked about once. A node that fails once is not
asked again in the same request, and not for a few seconds afterwards by any request (the
cache's circuit breaker), so an unreachable node costs one timeout, not one per root: the
answers become "unknown" and verdicts say ``pending`` rather than guessing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from backend.chain import ChainClient, ChainError
from backend.hashing import from_hex
from backend.services.chain_cache import ChainFactCache, ChainKey, FinalAnchor

logger = logging.getLogger(__name__)


class AnchorState(StrEnum):
    FINAL = "final"  # on chain with enough confirmations
    SHALLOW = "shallow"  # on chain, not enough confirmations yet
    ABSENT = "absent"  # anchorOf says never anchored
    UNKNOWN = "unknown"  # the chain could not be asked


@dataclass(frozen=True)
class AnchorFact:
    state: AnchorState
    block_number: int | None = None
    tx_hash: str | None = None
    event_count: int | None = None
    confirmations: int | None = None


UNKNOWN_ANCHOR = AnchorFact(AnchorState.UNKNOWN)


class ChainView:
    """Per-request, memoised, failure-tolerant reads of anchors and recalls."""

    def __init__(
        self, chain: ChainClient | None, cache: ChainFactCache, *, confirmations: int
    ) -> None:
        self._chain = chain
        self._cache = cache
        self.confirmations = confirmations
        self._anchors: dict[str, AnchorFact] = {}
        self._recalls: dict[str, bool | None] = {}
        self._head: int | None = None
        self._key: ChainKey | None = None
        self._down = chain is None or cache.chain_recently_down()
        if not self._down and chain is not None:
            self._key = self._identity(chain)

    def _identity(self, chain: ChainClient) -> ChainKey | None:
        try:
            address = chain.contract_address
            if address is None:
                return None
            return ChainFactCache.chain_key(chain.chain_id, address)
        except ChainError as exc:
            self._fail(exc)
            return None

    @property
    def reachable(self) -> bool:
        return not self._down and self._key is not None

    @property
    def chain_id(self) -> int | None:
        return self._key[0] if self._key else None

    @property
    def contract_address(self) -> str | None:
        return self._chain.contract_address if self._chain and self._key else None

    def _fail(self, exc: Exception) -> None:
        logger.warning("chain unavailable for verification: %s", exc)
        self._down = True
        self._cache.mark_chain_down()

    def _block_number(self, chain: ChainClient) -> int:
        if self._head is None:
            self._head = chain.block_number()
        return self._head

    def anchor(self, root: str) -> AnchorFact:
        """Where ``root`` stands on the registry this process uses."""
        root = root.lower()
        if root not in self._anchors:
            self._anchors[root] = self._lookup_anchor(root)
        return self._anchors[root]

    def _lookup_anchor(self, root: str) -> AnchorFact:
        if not self.reachable or self._chain is None or self._key is None:
            return UNKNOWN_ANCHOR
        cached = self._cache.anchor(self._key, root)
        if cached is not None:
            return AnchorFact(
                AnchorState.FINAL, cached.block_number, cached.tx_hash, cached.event_count
            )
        chain = self._chain
        try:
            info = chain.anchor_of(from_hex(root))
            if info is None:
                return AnchorFact(AnchorState.ABSENT)
            where = chain.anchor_receipt(from_hex(root))
            if where is None:  # anchored, but the node will not show the log: cannot count depth
                return AnchorFact(AnchorState.SHALLOW, event_count=info.event_count)
            depth = max(0, self._block_number(chain) - where.block_number + 1)
        except ChainError as exc:
            self._fail(exc)
            return UNKNOWN_ANCHOR
        if depth < self.confirmations:
            return AnchorFact(
                AnchorState.SHALLOW, where.block_number, where.tx_hash, info.event_count, depth
            )
        fact = FinalAnchor(where.block_number, where.tx_hash, info.event_count, info.timestamp)
        self._cache.remember_anchor(self._key, root, fact)
        return AnchorFact(
            AnchorState.FINAL, where.block_number, where.tx_hash, info.event_count, depth
        )

    def recalled(self, lot_key: str) -> bool | None:
        """Whether the registry has the lot recalled; None when the chain cannot be asked."""
        lot_key = lot_key.lower()
        if lot_key not in self._recalls:
            self._recalls[lot_key] = self._lookup_recall(lot_key)
        return self._recalls[lot_key]

    def _lookup_recall(self, lot_key: str) -> bool | None:
        if not self.reachable or self._chain is None or self._key is None:
            return None
        cached = self._cache.recalled(self._key, lot_key)
        if cached is not None:
            return cached
        try:
            value = self._chain.is_recalled(from_hex(lot_key))
        except ChainError as exc:
            self._fail(exc)
            return None
        self._cache.remember_recall(self._key, lot_key, value)
        return value
