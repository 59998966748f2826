"""Upgrade step 3: seal each v1 lot by moving its head in the heads map, in sealing batches.

A sealing batch is stored like any batch (``heads.HeadsStep``: the history lock, the map as of
the newest batch checked against its recorded root, the new nodes written at the batch's
version, both roots recorded on the row) and anchored by the normal anchoring pass. What it
seals, and why its leaves are head leaves, is in ``heads.sealed``. Each batch commits on its
own, so an interrupted upgrade leaves the lots sealed so far sealed and the next run goes on
from there; a run with nothing left to seal stores nothing.
"""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine
from sqlmodel import Session

from backend.hashing import to_hex
from backend.models import Batch, BatchStatus
from backend.services.anchoring.batching import BuiltBatch
from backend.services.anchoring.heads import ChainedEvent, HeadsStep
from backend.services.anchoring.heads.sealed import (
    sealable_heads,
    sealing_batches,
    sealing_root,
)

logger = logging.getLogger(__name__)


def seal_v1_lots(engine: Engine, *, lots_per_batch: int) -> list[BuiltBatch]:
    """Store sealing batches until every v1 lot is sealed; returns the batches stored now."""
    built: list[BuiltBatch] = []
    while (batch := _seal_next(engine, lots_per_batch=lots_per_batch)) is not None:
        built.append(batch)
    return built


def _seal_next(engine: Engine, *, lots_per_batch: int) -> BuiltBatch | None:
    """One sealing batch of the next ``lots_per_batch`` lots not sealed yet, or None."""
    with Session(engine, expire_on_commit=False) as session:
        step = HeadsStep.begin(session)
        step.base  # noqa: B018  (opens the map and checks it against its root, before writing)
        done = sum(count for _, count in sealing_batches(session))
        heads = sealable_heads(session)[done : done + lots_per_batch]
        if not heads:
            return None
        batch = Batch(
            root=to_hex(sealing_root(heads)), event_count=len(heads), status=BatchStatus.PENDING
        )
        session.add(batch)
        session.flush()
        assert batch.id is not None
        step.apply(
            batch,
            [ChainedEvent(0, head.lot_code, head.count, head.head_hash, None) for head in heads],
        )
        session.commit()
        step.publish()
        logger.info("batch %s seals %d v1 lots, root %s", batch.id, len(heads), batch.root)
        return BuiltBatch(batch_id=batch.id, root=batch.root, event_count=len(heads))
