"""Reading a registry's logs on one node: the receipt first, then a few blocks, then a scan.

A log query is the costliest and least reliable read a node offers (see
:mod:`backend.chain.log_ranges`), so :class:`LogReader` asks for logs only when nothing cheaper
answers. An anchor's ``BatchAnchored`` log is looked for

1. in the receipt of the transaction believed to have sent it (the sender recorded its hash):
   one call, and the log in it is the chain's own record;
2. else in the blocks stamped with the anchor's time (the registry's ``anchorOf`` stores its
   block's timestamp), found by bisection;
3. else in every block from the registry's first, oldest first, until it appears.

A lot's logs are read from a cursor (:func:`~backend.chain.log_ranges.scan_since`): each query
reads only the blocks after its previous one. Every method here must run inside the caller's
``translate_errors``; what a node refuses comes out as the library's exception.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

from eth_typing import HexStr
from eth_utils import to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractEvent
from web3.exceptions import BlockNotFound, TransactionNotFound
from web3.logs import DISCARD
from web3.types import EventData, TxReceipt

from backend.chain.log_ranges import (
    LogCursors,
    LogRanges,
    blocks_at_time,
    scan_since,
)
from backend.chain.types import EMPTY_HEADS_ROOT, AnchorLog, LotEventLog
from backend.config import Settings

T = TypeVar("T")


def _earliest(logs: Sequence[EventData]) -> EventData | None:
    return min(logs, key=lambda log: (log["blockNumber"], log["logIndex"]), default=None)


class LogReader:
    """Log reads on the node behind ``w3``, within ``ranges`` and resuming from ``cursors``."""

    def __init__(
        self,
        w3: Web3,
        *,
        ranges: LogRanges | None = None,
        cursors: LogCursors | None = None,
        default_start: int = 0,
    ) -> None:
        self._w3 = w3
        self.ranges = ranges or LogRanges()
        self.cursors = cursors or LogCursors()
        #: Where log queries of a registry whose deployment block is unknown start.
        self.default_start = default_start

    @classmethod
    def configured(cls, w3: Web3, settings: Settings) -> LogReader:
        """Queries of at most ``SENTRACE_RPC_MAX_LOG_RANGE`` blocks each, from
        ``SENTRACE_REGISTRY_FROM_BLOCK`` on a registry whose deployment block is not known."""
        ranges = LogRanges(settings.rpc_max_log_range)
        return cls(w3, ranges=ranges, default_start=settings.registry_from_block)

    # -------------------------------------------------------------------------- blocks

    def head(self) -> tuple[int, bytes]:
        """The newest block's number and hash."""
        block = self._w3.eth.get_block("latest")
        return int(block["number"]), bytes(block["hash"])

    def block_hash(self, number: int) -> bytes | None:
        """The hash of block ``number``, or None when the node has no such block."""
        try:
            return bytes(self._w3.eth.get_block(number)["hash"])
        except BlockNotFound:
            return None

    def _timestamp(self, number: int) -> int:
        return int(self._w3.eth.get_block(number)["timestamp"])

    # ------------------------------------------------------------------------- queries

    def scan(
        self, fetch: Callable[[int, int], Sequence[T]], start: int, *, until_found: bool = False
    ) -> list[T]:
        """Logs of blocks ``[start, head]`` in bounded ranges (see ``LogRanges.scan``)."""
        head = int(self._w3.eth.block_number)
        return self.ranges.scan(fetch, start, head, until_found=until_found).logs

    def scan_since(
        self, key: Hashable, fetch: Callable[[int, int], Sequence[T]], start: int
    ) -> list[T]:
        """Logs of blocks ``[start, head]``, reading only what the cursor ``key`` has not."""
        return scan_since(
            self.ranges,
            self.cursors,
            key,
            fetch,
            start=start,
            head=self.head(),
            block_hash=self.block_hash,
        )

    def receipt(self, tx_hash: str) -> TxReceipt | None:
        """The receipt of ``tx_hash``; None while it is not mined, or unknown to the node."""
        try:
            return self._w3.eth.get_transaction_receipt(HexStr(tx_hash))
        except TransactionNotFound:
            return None

    def receipt_logs(self, event: ContractEvent, tx_hash: str) -> list[EventData]:
        """``event``'s logs in the receipt of ``tx_hash``, emitted by ``event``'s contract; none
        for a transaction that is not mined or reverted."""
        receipt = self.receipt(tx_hash)
        if receipt is None or receipt["status"] != 1:
            return []
        address = str(event.address).lower()
        return [
            log
            for log in event.process_receipt(receipt, errors=DISCARD)
            if str(log["address"]).lower() == address
        ]

    def anchor(
        self,
        contract: Contract,
        root: bytes,
        *,
        start: int,
        tx_hash: str | None = None,
        timestamp: int | None = None,
    ) -> AnchorLog | None:
        """Where ``contract`` logged the anchor of ``root`` (its earliest ``BatchAnchored``
        log), or None; a rules v1 registry's log names no heads root (zero is given).

        ``tx_hash`` names the transaction believed to have anchored it and ``timestamp`` the
        anchor's block time (from ``anchorOf``); either may be None or wrong, since they only
        say where to look first: only a log the node returns is ever taken.
        """
        log = self._anchor_log(contract.events.BatchAnchored(), root, start, tx_hash, timestamp)
        if log is None:
            return None
        return AnchorLog(
            block_number=int(log["blockNumber"]),
            tx_hash=HexStr(log["transactionHash"].to_0x_hex()),
            heads_root=bytes(log["args"].get("headsRoot", EMPTY_HEADS_ROOT)),
        )

    def _anchor_log(
        self,
        event: ContractEvent,
        root: bytes,
        start: int,
        tx_hash: str | None,
        timestamp: int | None,
    ) -> EventData | None:
        if tx_hash:
            found = [
                log
                for log in self.receipt_logs(event, tx_hash)
                if bytes(log["args"]["root"]) == root
            ]
            if found:
                return _earliest(found)

        def fetch(first: int, last: int) -> list[EventData]:
            return list(
                event.get_logs(argument_filters={"root": root}, from_block=first, to_block=last)
            )

        if timestamp:
            head = int(self._w3.eth.block_number)
            window = blocks_at_time(self._timestamp, start, head, timestamp)
            if window is not None:
                scan = self.ranges.scan(fetch, window[0], window[1], until_found=True)
                if scan.logs:
                    return _earliest(scan.logs)
        return _earliest(self.scan(fetch, start, until_found=True))

    def lot_events(self, contract: Contract, lot_key: bytes, *, start: int) -> list[LotEventLog]:
        """Every milestone ``contract`` recorded for ``lot_key``, oldest first; read on from
        the blocks the previous call for the lot read (``scan_since``)."""
        event = contract.events.LotEventRecorded()

        def fetch(first: int, last: int) -> list[EventData]:
            found = event.get_logs(
                argument_filters={"lotKey": lot_key}, from_block=first, to_block=last
            )
            return list(found)

        return _lot_events(self.scan_since(("lot", contract.address, lot_key), fetch, start))

    def lot_events_in(self, contract: Contract, tx_hash: str, lot_key: bytes) -> list[LotEventLog]:
        """The milestones of ``lot_key`` that ``contract`` recorded in transaction ``tx_hash``,
        from its receipt (none while it is not mined, or when it reverted)."""
        logs = self.receipt_logs(contract.events.LotEventRecorded(), tx_hash)
        return _lot_events([log for log in logs if bytes(log["args"]["lotKey"]) == lot_key])


def _lot_events(logs: Sequence[EventData]) -> list[LotEventLog]:
    events = [
        LotEventLog(
            kind=int(log["args"]["kind"]),
            event_hash=bytes(log["args"]["eventHash"]),
            recorder=to_checksum_address(log["args"]["recorder"]),
            block_number=int(log["blockNumber"]),
            log_index=int(log["logIndex"]),
            tx_hash=HexStr(log["transactionHash"].to_0x_hex()),
        )
        for log in logs
    ]
    return sorted(events, key=lambda e: (e.block_number, e.log_index))
