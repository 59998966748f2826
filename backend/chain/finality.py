"""When a mined transaction counts as final: by the chain's own word, or by depth.

A block count says little on many chains: on a rollup a block is final when its batch is
final on the layer below, on a proof-of-stake chain when two epochs vouch for it, on a BFT
consortium chain at once. Nodes that know say so through the ``finalized`` (and the weaker
``safe``) block tags of ``eth_getBlockByNumber``. :class:`Finality` reads a block as final

* under a tag: when it is at or below the tagged block, and at least
  ``SENTRACE_CONFIRMATIONS`` deep;
* under depth: when it is at least ``SENTRACE_CONFIRMATIONS`` deep (``head - block + 1``);

and in both cases only while the receipt's block is still the chain's block at that height
(its hash), so a transaction reorganised into another block is read again, not trusted.

``SENTRACE_FINALITY`` chooses: ``auto`` (the default) uses depth on development chains (chain
ids 31337 and 1337, the in-process chain: their tags are an imitation, anvil's ``finalized``
trails its head by 64 blocks, and development should not wait for them) and ``finalized``
wherever the node answers that tag; ``depth``, ``safe`` and ``finalized`` force a policy, a
tag falling back to depth on a node that does not answer it.

A chain this process owns (the managed anvil, the in-process chain) mines blocks only when a
transaction arrives, so nothing would ever sit ``N`` deep: :meth:`Finality.is_final` mines the
missing empty blocks there (``anvil_mine``/``evm_mine``), never on any other chain.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from web3.exceptions import BlockNotFound, TransactionNotFound
from web3.providers.eth_tester import EthereumTesterProvider

from backend.chain.deployment import is_dev_chain
from backend.chain.errors import ChainRejected, translate_errors
from backend.config import FinalityMode

if TYPE_CHECKING:
    from backend.chain.sender import ChainSender
    from backend.config import Settings

__all__ = ["FinalMark", "Finality", "FinalityMode", "block_hash"]

logger = logging.getLogger(__name__)

#: How long "this node does not answer the tag" is believed before asking again (a node just
#: started may not have finalized a block yet).
UNSUPPORTED_TTL_S = 600.0
#: About the most empty blocks one confirmation check mines on an owned chain.
MAX_MINED_BLOCKS = 10_000

_SHARED: dict[tuple[FinalityMode, int, bool], Finality] = {}
_SHARED_LOCK = threading.Lock()


@dataclass(frozen=True)
class FinalMark:
    """The highest block counted final now; ``tag`` None when it was reckoned by depth.

    ``number`` is -1 while no block is final yet (a chain shorter than the depth).
    """

    number: int
    block_hash: str | None = None  # 0x hex, when asked for
    tag: str | None = None


def _hex(value: Any) -> str:
    return value.to_0x_hex() if hasattr(value, "to_0x_hex") else str(value)


class Finality:
    """The finality policy of one process, with what it learnt about each node's tags."""

    def __init__(
        self,
        mode: FinalityMode = FinalityMode.AUTO,
        confirmations: int = 1,
        *,
        mines: bool = False,
    ) -> None:
        self.mode = FinalityMode(mode)
        self.confirmations = max(1, confirmations)
        #: The chain belongs to this process (managed anvil, in-process chain): mine for depth.
        self.mines = mines
        self._lock = threading.Lock()
        # What each client's node answered (a client replaced after an outage asks again):
        # the tag it answers (None: none) and until when a "none" holds; no mining on request.
        self._tags: WeakKeyDictionary[ChainSender, tuple[str | None, float]] = WeakKeyDictionary()
        self._no_mining: WeakKeyDictionary[ChainSender, bool] = WeakKeyDictionary()

    @classmethod
    def from_settings(cls, settings: Settings) -> Finality:
        """The process's policy for ``settings``: one instance per policy, so the anchoring
        service and every request's reader share what the node answered."""
        owned = settings.uses_managed_anvil or settings.uses_memory_chain
        policy = (FinalityMode(settings.finality), settings.confirmations, owned)
        with _SHARED_LOCK:
            if policy not in _SHARED:
                _SHARED[policy] = cls(policy[0], policy[1], mines=policy[2])
            return _SHARED[policy]

    # -------------------------------------------------------------------------- policy

    @staticmethod
    def _in_process(chain: ChainSender) -> bool:
        return isinstance(chain.w3.provider, EthereumTesterProvider)

    def _wanted_tag(self, chain: ChainSender) -> str | None:
        if self.mode is FinalityMode.DEPTH:
            return None
        if self.mode is FinalityMode.AUTO:
            if self._in_process(chain) or is_dev_chain(chain.chain_id):
                return None
            return FinalityMode.FINALIZED.value
        return self.mode.value

    def tag(self, chain: ChainSender) -> str | None:
        """The block tag finality is read by on ``chain``'s node; None: by depth."""
        wanted = self._wanted_tag(chain)
        if wanted is None or not self._may_answer(chain):
            return None
        with self._lock:
            known = self._tags.get(chain)
        if known is not None and known[0] is not None:
            return known[0]
        return wanted if self._read_tag(chain, wanted) is not None else None

    def _may_answer(self, chain: ChainSender) -> bool:
        """False while the node is known not to answer the tag (for ``UNSUPPORTED_TTL_S``)."""
        with self._lock:
            known = self._tags.get(chain)
        return known is None or known[0] is not None or time.monotonic() >= known[1]

    def _read_tag(self, chain: ChainSender, tag: str) -> Any | None:
        """The block ``tag`` names, remembering whether the node answers it; None: it does not."""
        try:
            with translate_errors(endpoint=chain.endpoint):
                try:
                    block = chain.w3.eth.get_block(tag)  # type: ignore[arg-type]
                except BlockNotFound:
                    block = None
        except ChainRejected as exc:  # refused; a node that does not answer at all raises
            logger.info("%s does not answer the %r block tag (%s)", chain.endpoint, tag, exc)
            block = None
        with self._lock:
            if block is None:
                if self._tags.get(chain, (None, 0.0))[0] is not None:
                    logger.warning("%s stopped answering %r: counting depth", chain.endpoint, tag)
                self._tags[chain] = (None, time.monotonic() + UNSUPPORTED_TTL_S)
            else:
                self._tags[chain] = (tag, 0.0)
        return block

    def mark(self, chain: ChainSender, *, with_hash: bool = False) -> FinalMark:
        """The highest block that counts as final on ``chain`` now."""
        tag = self._wanted_tag(chain)
        block = self._read_tag(chain, tag) if tag and self._may_answer(chain) else None
        if block is None:  # depth, or a node that does not answer the tag (now)
            head = chain.block_number()
            return self._at(chain, head - self.confirmations + 1, None, with_hash=with_hash)
        number = int(block["number"])
        if self.confirmations > 1:
            deep = chain.block_number() - self.confirmations + 1
            if deep < number:
                return self._at(chain, deep, tag, with_hash=with_hash)
        return FinalMark(number, _hex(block["hash"]), tag)

    def final_number(self, chain: ChainSender, head: Callable[[], int]) -> int:
        """:meth:`mark`'s number, reckoned from ``head`` (the caller's memo of the node's head)
        when depth decides: one read fewer on every verification."""
        if self.tag(chain) is None:
            return max(-1, head() - self.confirmations + 1)
        return self.mark(chain).number

    @staticmethod
    def _at(chain: ChainSender, number: int, tag: str | None, *, with_hash: bool) -> FinalMark:
        if number < 0 or not with_hash:
            return FinalMark(max(-1, number), None, tag)
        return FinalMark(number, block_hash(chain, number), tag)

    # --------------------------------------------------------------------- judgement

    def is_final(self, chain: ChainSender, block_number: int, tx_hash: str | None = None) -> bool:
        """Whether ``tx_hash``, mined in ``block_number``, counts as final now.

        On a chain this process owns, the blocks missing for that are mined first. With a
        ``tx_hash`` its receipt must still name this block, and the block at that height must
        still be the receipt's (hash): a reorg may have moved or dropped the transaction.
        """
        mark, mined = self.mark(chain), 0
        while block_number > mark.number and mined < MAX_MINED_BLOCKS:
            # Depth needs one round; a tag clamped at genesis (anvil's trails the head by 64
            # blocks, never below block 0) does not move at first, hence the doubling.
            count = max(block_number - mark.number, mined)
            if not self._mine(chain, count):
                break
            mined += count
            mark = self.mark(chain)
        if block_number > mark.number:
            return False
        if tx_hash is None:
            return True
        return self._still_in_block(chain, block_number, tx_hash)

    @staticmethod
    def _still_in_block(chain: ChainSender, block_number: int, tx_hash: str) -> bool:
        with translate_errors(endpoint=chain.endpoint):
            try:
                receipt = chain.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
            except TransactionNotFound:
                return False
        if receipt is None or int(receipt["blockNumber"]) != block_number:
            return False
        return block_hash(chain, block_number) == _hex(receipt["blockHash"])

    # ------------------------------------------------------------------------ mining

    def _mine(self, chain: ChainSender, count: int) -> bool:
        """Mine ``count`` empty blocks on a chain this process owns; False anywhere else."""
        in_process = self._in_process(chain)
        if not self.mines or chain in self._no_mining or count <= 0:
            return False
        if not (in_process or is_dev_chain(chain.chain_id)):
            return False  # a real chain: blocks come when they come
        count = min(count, MAX_MINED_BLOCKS)
        with translate_errors(endpoint=chain.endpoint):
            if in_process:
                answer = chain.w3.provider.make_request("evm_mine", [count])  # type: ignore[arg-type]
            else:  # equal timestamps: mining must not run the chain's clock ahead of ours
                params = [hex(count), hex(0)]
                answer = chain.w3.provider.make_request("anvil_mine", params)  # type: ignore[arg-type]
        if "error" in answer:
            logger.warning("%s does not mine on request (%s)", chain.endpoint, answer["error"])
            self._no_mining[chain] = True
            return False
        logger.debug("mined %d empty blocks on %s for confirmations", count, chain.endpoint)
        return True


def block_hash(chain: ChainSender, number: int) -> str | None:
    """The 0x hash of block ``number`` on ``chain`` now; None when there is no such block."""
    with translate_errors(endpoint=chain.endpoint):
        try:
            return _hex(chain.w3.eth.get_block(number)["hash"])
        except BlockNotFound:
            return None
