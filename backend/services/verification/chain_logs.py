"""A lot's own logs on the registry: its milestones (``LotEventRecorded``) and its recall.

The transaction shown for a milestone or a recall must be the chain's: the outbox row that sent
it is a copy anyone with the database can rewrite. So the chain is asked, once per lot and
request, for every log the registries (the one in use and those retired by ``sentrace
upgrade``, whose events have the same signatures) hold under the lot's key: one
``eth_getLogs`` with both event topics and all addresses. A milestone is shown only where one
of those logs carries the lot key, the kind its type is recorded under and the event hash
computed from its record; a log exists only for a transaction that succeeded, so no receipt is
needed. ``ChainView`` caches what it finds once deep enough, so a final lot costs no call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from backend.chain import ChainClient, translate_errors
from backend.chain.fact_cache import ChainFactCache, ChainKey, FinalLog
from backend.hashing import from_hex, keccak

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
    """One request's reads of lots' logs: each lot's logs read at most once, and a log found
    deep enough (``confirmations``) kept in the process-wide cache of final facts."""

    def __init__(self, cache: ChainFactCache, confirmations: int) -> None:
        self._cache = cache
        self._confirmations = confirmations
        self._read: dict[str, list[LotLog]] = {}

    def state(
        self,
        chain: ChainClient,
        key: ChainKey,
        lot_key_hex: str,
        name: str,
        *,
        ask: bool,
        head: Callable[[], int],
    ) -> LogState:
        """The log of ``lot_key_hex`` called ``name``: from the cache, else (when ``ask``)
        from the node, whose current block ``head`` gives. Raises ``ChainError``."""
        entry = f"{lot_key_hex}/{name}"
        cached = self._cache.log(key, entry)
        if cached is not None:
            return LogState("final", LotLog(name, cached.tx_hash, cached.block_number, None))
        if not ask:
            return LogState("unknown")
        if lot_key_hex not in self._read:
            self._read[lot_key_hex] = read_lot_logs(chain, from_hex(lot_key_hex))
        found = find_log(self._read[lot_key_hex], name)
        if found is None:
            return LogState("absent")
        depth = max(0, head() - found.block_number + 1)
        if depth < self._confirmations:
            return LogState("shallow", found, depth)
        if found.block_hash is not None:
            fact = FinalLog(found.block_number, found.tx_hash)
            self._cache.remember_log(key, entry, fact, block_hash=found.block_hash)
        return LogState("final", found, depth)


def read_lot_logs(chain: ChainClient, lot_key: bytes) -> list[LotLog]:
    """Every milestone and recall log of ``lot_key`` on our registries, oldest first.

    Raises the mapped :class:`~backend.chain.ChainError` when the node cannot be asked.
    """
    registries = [(chain.contract_address, chain.from_block)] + [
        (old.contract_address, old.from_block) for old in chain.legacy_registries
    ]
    addresses = [address for address, _ in registries if address is not None]
    if not addresses:
        return []
    query: dict[str, Any] = {
        "address": addresses,
        "fromBlock": min(start for _, start in registries),
        "toBlock": "latest",
        "topics": [["0x" + LOT_EVENT_TOPIC.hex(), "0x" + RECALL_TOPIC.hex()], "0x" + lot_key.hex()],
    }
    with translate_errors(endpoint=chain.endpoint):
        raw = chain.w3.eth.get_logs(query)  # type: ignore[arg-type]
    ours = {address.lower() for address in addresses}
    found = [pair for pair in (_read(entry, lot_key, ours) for entry in raw) if pair is not None]
    return [log for _, log in sorted(found, key=lambda pair: pair[0])]


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
