"""A lot's own logs on the registry: its milestones (``LotEventRecorded``) and its recall.

The transaction shown for a milestone or a recall must be the chain's: the outbox row that sent
it is a copy anyone with the database can rewrite. A milestone is shown only where a log of one
of our registries (the one in use and those retired by ``sentrace upgrade``, whose events have
the same signatures) carries the lot key, the kind its type is recorded under and the event
hash computed from its record. The row's transaction is only a hint of where to look: its
receipt is read (one call; it must have succeeded, and the log must be in it), and only when
that does not hold (a rewritten row, a transaction not mined yet) are the lot's logs scanned,
with one ``eth_getLogs`` for both event topics and all addresses. A scan the node refuses (a
node capping log ranges) leaves the milestone ``unknown`` without marking the chain down: the
verdicts do not rest on it. ``ChainView`` caches a log deep enough like a final anchor, so a
final lot costs no call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from eth_typing import HexStr
from web3.exceptions import TransactionNotFound

from backend.chain import ChainClient, ChainError, translate_errors
from backend.chain.fact_cache import ChainFactCache, ChainKey, FinalLog
from backend.hashing import HashingError, from_hex, keccak

logger = logging.getLogger(__name__)

#: topic0 of ``LotEventRecorded(bytes32 indexed lotKey, uint8 indexed kind, bytes32 eventHash,
#: address recorder)``, the same in the rules v1 and v2 registries.
LOT_EVENT_TOPIC = keccak(b"LotEventRecorded(bytes32,uint8,bytes32,address)")
#: topic0 of ``LotRecalled(bytes32 indexed lotKey, bytes32 reasonHash, address regulator,
#: uint64 timestamp)``, the same in both registries too.
RECALL_TOPIC = keccak(b"LotRecalled(bytes32,bytes32,address,uint64)")
#: The name of a lot's recall log among its logs.
RECALL = "recall"


def milestone_name(kind: int, event_hash: str) -> str:
    """The name of the milestone log of an event of ``kind`` hashing to ``event_hash``."""
    return f"event:{kind}:{event_hash.lower()}"


@dataclass(frozen=True)
class LotLog:
    """One of a lot's logs on a registry: what it records and where it landed."""

    name: str  # ``milestone_name(kind, event_hash)`` or ``RECALL``
    tx_hash: str
    block_number: int
    block_hash: bytes | None


@dataclass(frozen=True)
class LogState:
    """Where one of a lot's logs stands, in the words of ``chain_view.AnchorState``:
    ``final``, ``shallow``, ``absent`` or ``unknown``; ``depth`` is None for a fact served
    from the cache of final facts."""

    standing: Literal["final", "shallow", "absent", "unknown"]
    log: LotLog | None = None
    depth: int | None = None


class LotLogs:
    """One request's reads of lots' logs: each receipt and each lot's scan read at most once,
    and a log in a block final by the policy (``final`` gives the highest such block) kept in
    the cache of final facts."""

    def __init__(self, cache: ChainFactCache, final: Callable[[], int]) -> None:
        self._cache = cache
        self._final = final
        self._receipts: dict[str, list[LotLog]] = {}
        self._scans: dict[str, list[LotLog] | None] = {}

    def state(
        self,
        chain: ChainClient,
        key: ChainKey,
        lot_key_hex: str,
        name: str,
        *,
        hint: str | None,
        ask: bool,
        head: Callable[[], int],
    ) -> LogState:
        """The log of ``lot_key_hex`` called ``name``: from the cache, else (when ``ask``)
        from the node, first in the receipt of ``hint`` (the transaction the outbox row
        names), then in a scan of the lot's logs; ``head`` gives the node's current block.
        Raises ``ChainError`` when the node cannot be asked at all."""
        entry = f"{lot_key_hex}/{name}"
        cached = self._cache.log(key, entry)
        if cached is not None:
            return LogState("final", LotLog(name, cached.tx_hash, cached.block_number, None))
        if not ask:
            return LogState("unknown")
        lot = from_hex(lot_key_hex)
        if hint is not None and hint.lower() not in self._receipts:
            self._receipts[hint.lower()] = read_receipt_logs(chain, hint, lot)
        found = find_log(self._receipts.get((hint or "").lower(), []), name)
        if found is None:
            if lot_key_hex not in self._scans:
                self._scans[lot_key_hex] = _scan(chain, lot)
            scanned = self._scans[lot_key_hex]
            if scanned is None:
                return LogState("unknown")
            found = find_log(scanned, name)
        if found is None:
            return LogState("absent")
        depth = max(0, head() - found.block_number + 1)
        if found.block_number > self._final():
            return LogState("shallow", found, depth)
        if found.block_hash is not None:
            fact = FinalLog(found.block_number, found.tx_hash)
            self._cache.remember_log(key, entry, fact, block_hash=found.block_hash)
        return LogState("final", found, depth)


def _registries(chain: ChainClient) -> list[tuple[str, int]]:
    """(address, first block) of the registry in use and of those it replaced."""
    registries = [(chain.contract_address, chain.from_block)] + [
        (old.contract_address, old.from_block) for old in chain.legacy_registries
    ]
    return [(address, start) for address, start in registries if address is not None]


def read_receipt_logs(chain: ChainClient, tx_hash: str, lot_key: bytes) -> list[LotLog]:
    """The logs of ``lot_key`` that the transaction ``tx_hash`` left on our registries: none
    when it is not a transaction hash, the node knows no such transaction, or it failed.

    Raises the mapped :class:`~backend.chain.ChainError` when the node cannot be asked.
    """
    try:
        from_hex(tx_hash)
    except HashingError:
        return []
    with translate_errors(endpoint=chain.endpoint):
        try:
            receipt = chain.w3.eth.get_transaction_receipt(HexStr(tx_hash))
        except TransactionNotFound:
            return []
    if receipt.get("status") != 1:
        return []
    ours = {address.lower() for address, _ in _registries(chain)}
    found = [_read(entry, lot_key, ours) for entry in receipt.get("logs", [])]
    return _oldest_first(found)


def _scan(chain: ChainClient, lot_key: bytes) -> list[LotLog] | None:
    """The lot's logs, or None when the node refuses the scan (e.g. a capped log range)."""
    try:
        return read_lot_logs(chain, lot_key)
    except ChainError as exc:
        logger.warning("the logs of lot key 0x%s could not be read: %s", lot_key.hex(), exc)
        return None


def read_lot_logs(chain: ChainClient, lot_key: bytes) -> list[LotLog]:
    """Every milestone and recall log of ``lot_key`` on our registries, oldest first.

    Raises the mapped :class:`~backend.chain.ChainError` when the node cannot be asked.
    """
    registries = _registries(chain)
    addresses = [address for address, _ in registries]
    if not addresses:
        return []
    query: dict[str, Any] = {
        "address": addresses,
        "topics": [["0x" + LOT_EVENT_TOPIC.hex(), "0x" + RECALL_TOPIC.hex()], "0x" + lot_key.hex()],
    }

    def fetch(first: int, last: int) -> list[Any]:
        """One bounded query; ``log_reader`` narrows ranges the node refuses as too wide."""
        bounded = {**query, "fromBlock": first, "toBlock": last}
        return list(chain.w3.eth.get_logs(bounded))  # type: ignore[arg-type]

    start, key = min(start for _, start in registries), ("lot logs", tuple(addresses), lot_key)
    with translate_errors(endpoint=chain.endpoint):  # read on from where the last read stopped
        raw = chain.log_reader.scan_since(key, fetch, start)
    ours = {address.lower() for address in addresses}
    found = [_read(entry, lot_key, ours) for entry in raw]
    return _oldest_first(found)


def _oldest_first(found: list[tuple[tuple[int, int], LotLog] | None]) -> list[LotLog]:
    """The logs read, in chain order (block, then index in it)."""
    return [log for _, log in sorted((p for p in found if p is not None), key=lambda p: p[0])]


def find_log(logs: Sequence[LotLog], name: str) -> LotLog | None:
    """The earliest of ``logs`` called ``name`` (a node may list a log twice across a reorg,
    and a milestone resent after a crash is the same milestone)."""
    return next((log for log in logs if log.name == name), None)


def _read(
    entry: Mapping[str, Any], lot_key: bytes, ours: set[str]
) -> tuple[tuple[int, int], LotLog] | None:
    """A raw log as a :class:`LotLog` with its place in the chain, or None for a log that is
    not one of ours (another address, another lot, removed by a reorg, a shape we do not
    know): only what the registry itself emitted may stand for a transaction."""
    try:
        topics = [bytes(topic) for topic in entry["topics"]]
        data = bytes(entry["data"])
        if entry.get("removed") or str(entry["address"]).lower() not in ours:
            return None
        if len(topics) < 2 or topics[1] != lot_key:
            return None
        if topics[0] == LOT_EVENT_TOPIC and len(topics) == 3 and len(data) >= 32:
            name = milestone_name(int.from_bytes(topics[2], "big"), "0x" + data[:32].hex())
        elif topics[0] == RECALL_TOPIC:
            name = RECALL
        else:
            return None
        block_hash = entry.get("blockHash")
        place = (int(entry["blockNumber"]), int(entry["logIndex"]))
        log = LotLog(
            name=name,
            tx_hash="0x" + bytes(entry["transactionHash"]).hex(),
            block_number=place[0],
            block_hash=bytes(block_hash) if block_hash is not None else None,
        )
    except (KeyError, TypeError, ValueError):
        return None
    return place, log
