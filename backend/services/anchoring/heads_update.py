"""The heads-root move a batch's ``anchorBatch`` makes, read from the batch row (rules v2).

The ledger writes on each batch the registry's heads root before it (``prev_heads_root``) and
after it (``heads_root``); the registry refuses the anchor unless ``prev`` is its current root.
Batches that carry neither are anchored without moving any head, by
:func:`keep_current_heads_root`: the one place that fallback lives, to be removed once the
ledger fills both columns on every batch.
"""

from __future__ import annotations

from backend.chain import ChainClient, HeadsUpdate
from backend.hashing import HashingError, from_hex
from backend.models import Batch


class UnsendableHeadsUpdate(ValueError):
    """A batch row's heads roots cannot be sent: only one of the two is set, or one is not hex."""


def ledger_heads_update(batch: Batch) -> HeadsUpdate | None:
    """The move the ledger recorded for ``batch``; None when it recorded none (both NULL)."""
    prev, new = batch.prev_heads_root, batch.heads_root
    if prev is None and new is None:
        return None
    if prev is None or new is None:
        raise UnsendableHeadsUpdate(
            f"batch {batch.id} has prev_heads_root={prev!r} and heads_root={new!r}: "
            "both or neither must be set"
        )
    try:
        return HeadsUpdate(prev=from_hex(prev), new=from_hex(new))
    except HashingError as exc:
        raise UnsendableHeadsUpdate(f"batch {batch.id}: {exc}") from exc


def keep_current_heads_root(chain: ChainClient) -> HeadsUpdate:
    """Fallback while batches carry no heads roots: prev = new = the registry's current one.

    The anchor then moves no head, so batches anchor exactly as under rules v1. The root is
    read just before sending, so a later pass that retries after another anchor moved it
    builds a fresh update rather than resending a stale one.
    """
    return HeadsUpdate.keep(chain.heads_root())


def heads_update_for(batch: Batch, chain: ChainClient) -> HeadsUpdate:
    """What to send with ``batch``: the ledger's move, else (for now) no move at all."""
    recorded = ledger_heads_update(batch)
    return recorded if recorded is not None else keep_current_heads_root(chain)
