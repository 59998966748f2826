"""Where a root or a lot's log stands on the chain, as one verification read it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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
    #: The anchoring block's time as the registry recorded it (``anchorOf``), Unix seconds.
    timestamp: int | None = None
    #: The retired (rules v1) registry that holds the anchor; None: the registry in use.
    registry: str | None = None


UNKNOWN_ANCHOR = AnchorFact(AnchorState.UNKNOWN)
