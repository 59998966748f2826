"""What the chain says about roots, recalls and lot milestones, as one verification sees it.

Reads go to the process-wide :class:`ChainFactCache` first (final anchors), after one check per
request that the cache's canary block is unchanged (read again only under a new head block),
then to the node. Within one request each root and each lot is asked about once. The registry's
state that can change (its heads root, a key's record) is read at the request's head block, once
per block: the head's number and hash are read on every request, and answers read at that hash
are shared by every request that finds the same head (``block_memo``), so a revocation is still
seen by the next request after its block. A node that fails once is not asked again in the same
request, and not for a few seconds afterwards by any request (the cache's circuit breaker), so an
unreachable node costs one timeout, not one per root: the answers become "unknown" and verdicts
say ``pending`` rather than guessing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from functools import cached_property, partial
from typing import TypeVar, cast

from backend.chain import ChainClient, ChainError
from backend.chain.fact_cache import ChainFactCache, ChainKey, FinalAnchor
from backend.chain.finality import Finality, FinalityMode
from backend.chain.legacy import AnchorReader
from backend.chain.registry_signers import REGULATOR_ROLE
from backend.hashing import from_hex, lot_key, to_hex
from backend.models import ChainAction
from backend.services.verification.anchor_facts import (
    UNKNOWN_ANCHOR,
    AnchorFact,
    AnchorState,
)
from backend.services.verification.chain_logs import RECALL, LotLogs, milestone_name
from backend.services.verification.chain_reads import (  # noqa: F401 (tests read them here)
    Head,
    _hash_of_block,
    _hash_of_raw_block,
    _read_heads_root,
    block_hash,
    read_head,
)
from backend.services.verification.signer_reads import SignerRecord, read_signer

logger = logging.getLogger(__name__)


T = TypeVar("T")
#: Where the chain holds one of a lot's milestones: (kind, event hash) → its log's standing.
MilestoneLookup = Callable[[int, str], AnchorFact]


class ChainView:
    """Per-request, memoised, failure-tolerant reads of anchors and recalls."""

    def __init__(
        self,
        chain: ChainClient | None,
        cache: ChainFactCache,
        *,
        confirmations: int = 1,
        late_record_warn_h: float = 72.0,
        finality: Finality | None = None,
    ) -> None:
        self._chain = chain
        self._cache = cache
        self._finality = finality or Finality(FinalityMode.DEPTH, confirmations)
        self.confirmations = self._finality.confirmations  # the least depth, shown to readers
        #: Policy of the reader, like ``confirmations``: an event anchored this long after it
        #: happened is shown as recorded late (it could have been written with hindsight).
        self.late_after_s = late_record_warn_h * 3600
        self._anchors: dict[str, AnchorFact] = {}
        self._recalls: dict[str, bool | None] = {}
        self._logs = LotLogs(cache, lambda: self._final_block)
        self._log_facts: dict[tuple[str, str], AnchorFact] = {}
        self._signers: dict[tuple[str, bytes, str], SignerRecord | None] = {}
        self._regulators: dict[str, bool | None] = {}
        self._heads_asked = False
        self._heads_root: bytes | None = None
        self._head: Head | None = None
        self._canaries_checked: set[ChainKey] = set()
        self._down = chain is None or cache.chain_recently_down()
        self._key: ChainKey | None = self._identity(chain) if chain is not None else None

    def _identity(self, chain: ChainClient) -> ChainKey | None:
        """(chain id, registry) of the client. While the node is down the key last seen for
        this registry is used, so facts cached before the outage are still served."""
        address = chain.contract_address
        if address is None:
            return None
        if self._down:
            return self._cache.last_key_for(address)
        try:
            key = ChainFactCache.chain_key(chain.chain_id, address)
        except ChainError as exc:
            self._fail(exc)
            return self._cache.last_key_for(address)
        self._cache.remember_key(key)
        return key

    @property
    def reachable(self) -> bool:
        return not self._down and self._key is not None

    @property
    def chain_id(self) -> int | None:
        return self._key[0] if self._key else None

    @cached_property
    def contract_address(self) -> str | None:
        """The registry in use, as this request sees it (asked by every signed event)."""
        return self._chain.contract_address if self._chain and self._key else None

    @property
    def retired_registries(self) -> tuple[str, ...]:
        """Registries retired by ``sentrace upgrade``, whose anchors are read too."""
        return (
            tuple(old.contract_address for old in self._chain.legacy_registries)
            if self._chain
            else ()
        )

    @cached_property
    def replaced_registries(self) -> tuple[str, ...]:
        """Registries the one in use replaced (retired by an upgrade, or vanished from a
        development chain and deployed again elsewhere): an event's signature may name one.
        Read once per request (every signed event asks)."""
        return tuple(self._chain.replaced_registries) if self._chain and self._key else ()

    def _fail(self, exc: Exception) -> None:
        logger.warning("chain unavailable for verification: %s", exc)
        self._down = True
        self._cache.mark_chain_down()

    def _head_block(self, chain: ChainClient) -> Head:
        """The block this request verifies at, read once (``chain_reads.read_head``): a read
        shared with the requests in flight that started after this one arrived."""
        if self._head is None:
            key = self._key
            reads = self._cache.head_reads
            self._head = (
                read_head(chain) if key is None else reads.read(key, partial(read_head, chain))
            )
        return self._head

    def head_identity(self) -> tuple[ChainKey, bytes] | None:
        """(chain id and registry, hash of this request's head block): the chain state every
        registry answer of this request is read at. None when the chain cannot be asked."""
        chain, key = self._chain, self._key
        if chain is None or key is None or self._down:
            return None
        try:
            return key, self._head_block(chain).hash
        except ChainError as exc:
            self._fail(exc)
            return None

    def _block_number(self, chain: ChainClient) -> int:
        return self._head_block(chain).number

    def _at_head(
        self, chain: ChainClient, key: ChainKey, question: object, read: Callable[[int], T]
    ) -> T:
        """The answer to ``question`` about the registry's state at this request's head block:
        read at its number, and shared by block hash with every request at the same head."""
        head = self._head_block(chain)
        return self._cache.blocks.answer(key, head.hash, question, lambda: read(head.number))

    @cached_property
    def _final_block(self) -> int:
        """The highest block final by the anchoring's own policy (``chain.finality``)."""
        chain = cast(ChainClient, self._chain)
        return self._finality.final_number(chain, partial(self._block_number, chain))

    def anchor(self, root: str) -> AnchorFact:
        """Where ``root`` stands on the registries this process anchors on, or did."""
        root = root.lower()
        if root not in self._anchors:
            self._anchors[root] = self._lookup_anchor(root)
        return self._anchors[root]

    def _lookup_anchor(self, root: str) -> AnchorFact:
        """The anchor on the registry in use, else on a registry retired by ``sentrace
        upgrade`` (it holds the anchors made before); final facts first, from either."""
        if self._key is None or self._chain is None:
            return UNKNOWN_ANCHOR
        registries = self._registries(self._chain, self._key)
        for _, key, retired in registries:
            self._check_canary(self._chain, key)
            cached = self._cache.anchor(key, root)
            if cached is not None:
                return AnchorFact(
                    AnchorState.FINAL,
                    cached.block_number,
                    cached.tx_hash,
                    cached.event_count,
                    timestamp=cached.timestamp,
                    registry=retired,
                )
        fact = UNKNOWN_ANCHOR
        for registry, key, retired in registries:
            if self._down:
                return UNKNOWN_ANCHOR
            fact = self._read_anchor(registry, key, root)
            if fact.state is not AnchorState.ABSENT:
                return replace(fact, registry=retired)
        return fact

    @staticmethod
    def _registries(
        chain: ChainClient, key: ChainKey
    ) -> list[tuple[AnchorReader, ChainKey, str | None]]:
        """The registry in use, then those it replaced: each with its cache key, and its
        address when it is a retired one."""
        retired = [
            (old, ChainFactCache.chain_key(key[0], old.contract_address), old.contract_address)
            for old in chain.legacy_registries
        ]
        return [(chain, key, None), *retired]

    def _read_anchor(self, registry: AnchorReader, key: ChainKey, root: str) -> AnchorFact:
        """Where ``root`` stands on ``registry``, asked of the node (final facts are cached)."""
        chain = cast(ChainClient, self._chain)
        try:
            info = registry.anchor_of(from_hex(root))
            if info is None:
                return AnchorFact(AnchorState.ABSENT)
            # The anchor's block time says where its log is: a few blocks, not the whole chain.
            where = registry.anchor_receipt(from_hex(root), timestamp=info.timestamp)
            if where is None:  # anchored, but the node will not show the log: cannot count depth
                return AnchorFact(
                    AnchorState.SHALLOW, event_count=info.event_count, timestamp=info.timestamp
                )
            depth = max(0, self._block_number(chain) - where.block_number + 1)
            if where.block_number > self._final_block:
                return AnchorFact(
                    AnchorState.SHALLOW,
                    where.block_number,
                    where.tx_hash,
                    info.event_count,
                    depth,
                    info.timestamp,
                )
            block_hash = self._block_hash(chain, where.block_number)
        except ChainError as exc:
            self._fail(exc)
            return UNKNOWN_ANCHOR
        if block_hash is not None:
            fact = FinalAnchor(where.block_number, where.tx_hash, info.event_count, info.timestamp)
            self._cache.remember_anchor(key, root, fact, block_hash=block_hash)
        return AnchorFact(
            AnchorState.FINAL,
            where.block_number,
            where.tx_hash,
            info.event_count,
            depth,
            info.timestamp,
        )

    #: The hash of block N (the canary's read), asked of the node directly when it can be.
    _block_hash = staticmethod(block_hash)

    def _check_canary(self, chain: ChainClient, key: ChainKey) -> None:
        """Once per request: drop the chain's cached facts if its canary block changed.

        The read is shared with concurrent requests, and spared while the node's head is the
        block under which it was last read unchanged (see :meth:`ChainFactCache.check_canary`):
        the request reads that head anyway, for the registry's state.
        """
        if key in self._canaries_checked or self._down:
            return
        self._canaries_checked.add(key)
        try:
            head = self._head_block(chain)
            changed = self._cache.check_canary(
                key, lambda number: self._block_hash(chain, number), head=(head.number, head.hash)
            )
        except ChainError as exc:
            self._fail(exc)
            return
        if changed:
            logger.warning("the canary block changed under cached anchors: re-reading the chain")

    def recalled(self, lot_key: str) -> bool | None:
        """Whether the registry has the lot recalled; None when the chain cannot be asked."""
        lot_key = lot_key.lower()
        if lot_key not in self._recalls:
            self._recalls[lot_key] = self._lookup_recall(lot_key)
        return self._recalls[lot_key]

    def milestone_lookup(self, lot_code: str, action: ChainAction | None) -> MilestoneLookup | None:
        """:meth:`milestone` for the lot ``lot_code`` and its queued ``action``, if any."""
        if not action:
            return None  # most events are anchored in batches, with no milestone of their own
        return partial(self.milestone, to_hex(lot_key(lot_code)), hint=action.tx_hash)

    def milestone(
        self, lot_key_hex: str, kind: int, event_hash: str, *, hint: str | None = None
    ) -> AnchorFact:
        """Where the registry's ``LotEventRecorded`` log of this lot key, kind and event hash
        stands; the outbox row's transaction (``hint``) only says where to look first."""
        return self._lot_log(lot_key_hex.lower(), milestone_name(kind, event_hash), hint)

    def recall_transaction(self, lot_key_hex: str, action: ChainAction | None) -> str | None:
        """The transaction of the lot's ``LotRecalled`` log, where the chain holds one."""
        return self._lot_log(lot_key_hex.lower(), RECALL, action and action.tx_hash).tx_hash

    def _lot_log(self, lot_key_hex: str, name: str, hint: str | None) -> AnchorFact:
        """One of a lot's logs, asked once per request (see ``chain_logs``)."""
        entry = (lot_key_hex, name)
        if entry not in self._log_facts and self._key is not None and self._chain is not None:
            chain, key, head = self._chain, self._key, partial(self._block_number, self._chain)
            self._check_canary(chain, key)
            try:
                got = self._logs.state(chain, key, *entry, hint=hint, ask=not self._down, head=head)
            except ChainError as exc:
                self._fail(exc)
            else:
                block, tx = (got.log.block_number, got.log.tx_hash) if got.log else (None, None)
                state = AnchorState(got.standing)
                self._log_facts[entry] = AnchorFact(state, block, tx, confirmations=got.depth)
        return self._log_facts.get(entry, UNKNOWN_ANCHOR)

    def signer_record(
        self, registry: str | None, org_key: bytes, signer: str
    ) -> SignerRecord | None:
        """The registry's record of ``signer`` for ``org_key`` (``registry``: the one holding the
        anchor, None for the one in use), read at this request's head block and remembered by
        that block's hash, so a revocation (a new block) is seen by the next request. None: the
        chain cannot say."""
        address = registry or self.contract_address
        entry = (str(address), org_key, signer)
        if entry not in self._signers:
            self._signers[entry] = None
            chain, key = self._chain, self._key
            if chain is not None and key is not None and address is not None and not self._down:
                try:
                    self._signers[entry] = self._at_head(
                        chain,
                        key,
                        ("signerOf", str(address).lower(), org_key, signer.lower()),
                        lambda block: read_signer(chain, str(address), org_key, signer, block),
                    )
                except ChainError as exc:
                    self._fail(exc)
        return self._signers[entry]

    def is_regulator(self, signer: str) -> bool | None:
        """Whether the registry in use grants ``signer`` its ``REGULATOR_ROLE`` now, asked once
        per request (a grant revoked in the next block is seen by the next request). None: the
        chain cannot say."""
        if signer not in self._regulators:
            self._regulators[signer] = None
            if self._chain is not None and self._key is not None and not self._down:
                try:
                    self._regulators[signer] = self._chain.has_role(REGULATOR_ROLE, signer)
                except ChainError as exc:
                    self._fail(exc)
        return self._regulators[signer]

    def heads_root(self) -> bytes | None:
        """The registry's heads root at this request's head block, read once per block (a
        root older than the head's would let a replay through). None when the chain cannot
        be asked."""
        if not self._heads_asked:
            self._heads_asked = True
            chain, key = self._chain, self._key
            if chain is not None and key is not None and not self._down:
                try:
                    self._heads_root = self._at_head(
                        chain, key, "headsRoot", lambda block: _read_heads_root(chain, block)
                    )
                except ChainError as exc:
                    self._fail(exc)
        return self._heads_root

    def _lookup_recall(self, lot_key: str) -> bool | None:
        if self._key is None or self._chain is None:
            return None
        self._check_canary(self._chain, self._key)
        cached = self._cache.recalled(self._key, lot_key)
        if cached is not None:
            return cached
        if self._down:
            return None
        try:
            value = self._chain.is_recalled(from_hex(lot_key))
        except ChainError as exc:
            self._fail(exc)
            return None
        self._cache.remember_recall(self._key, lot_key, value)
        return value
