"""Plain values the chain client hands back: receipts, anchors and logs, free of web3 types."""

from __future__ import annotations

from dataclasses import dataclass

from eth_typing import ChecksumAddress, HexStr


@dataclass(frozen=True)
class TxResult:
    """A mined transaction: where it landed and what it cost. ``status`` is 1 on success."""

    tx_hash: HexStr
    block_number: int
    gas_used: int
    status: int


@dataclass(frozen=True)
class AnchorInfo:
    """What the registry stores for an anchored root (``anchorOf``)."""

    timestamp: int
    event_count: int
    anchorer: ChecksumAddress


@dataclass(frozen=True)
class AnchorLog:
    """Where a root was anchored, and the heads root it set, from its ``BatchAnchored`` log."""

    block_number: int
    tx_hash: HexStr
    heads_root: bytes


#: The empty heads map's root: a fresh registry's heads root.
EMPTY_HEADS_ROOT = bytes(32)


@dataclass(frozen=True)
class HeadsUpdate:
    """The heads-root move an anchor makes: from ``prev`` (the registry's now) to ``new``."""

    prev: bytes
    new: bytes

    @classmethod
    def keep(cls, current: bytes) -> HeadsUpdate:
        """An update that moves no head: ``prev`` = ``new`` = the registry's current root."""
        return cls(prev=current, new=current)


@dataclass(frozen=True)
class LotEventLog:
    """One lot milestone read back from a ``LotEventRecorded`` log."""

    kind: int
    event_hash: bytes
    recorder: ChecksumAddress
    block_number: int
    log_index: int
    tx_hash: HexStr
