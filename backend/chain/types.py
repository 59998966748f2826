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


@dataclass(frozen=True)
class SignerRecord:
    """The registry's record of an organisation's signing key (``signerOf``): block timestamps
    of its activation (``since``, 0: never registered) and revocation (``until``, 0 while
    active), and its custody code (1 client, 2 browser, 3 custodial; 0 when never registered)."""

    since: int
    until: int
    custody: int

    @property
    def registered(self) -> bool:
        return self.since != 0

    @property
    def active(self) -> bool:
        """Registered and not revoked: signs for its organisation from now on."""
        return self.since != 0 and self.until == 0

    def signs_at(self, timestamp: int) -> bool:
        """The contract's ``isSignerAt``: a revocation in the same second wins (fail closed)."""
        return (
            self.since != 0
            and self.since <= timestamp
            and (self.until == 0 or timestamp < self.until)
        )
