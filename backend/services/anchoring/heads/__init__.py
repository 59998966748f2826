"""The lot heads map of rules v2 in the database: persisted by version, moved by each batch.

``store`` keeps the map's nodes (``SqlNodeStore``, versioned by batch id, with a process-wide
cache of committed reads); ``history`` moves it inside the transaction that stores a batch
and keeps the batches' heads roots one linear history; ``proofs`` answers head proofs as
of the root the chain holds; ``audit`` recomputes it from the anchored events and
``replay`` replays its history batch by batch, for ``sentrace heads rebuild``; ``sealed``
says which heads ``sentrace upgrade`` gives the lots begun under rules v1. The map
itself (hashing, paths, proofs) is :class:`backend.hashing.HeadsMap`.
"""

from __future__ import annotations

from backend.services.anchoring.heads.audit import HeadsAudit, anchored_heads, audit_heads
from backend.services.anchoring.heads.history import (
    ChainedEvent,
    HeadsBase,
    HeadsHistoryError,
    HeadsStep,
    newest_base,
)
from backend.services.anchoring.heads.proofs import HeadProofAt, head_proof, heads_version
from backend.services.anchoring.heads.replay import Break, HeadsReplay, replay_heads
from backend.services.anchoring.heads.sealed import (
    SealedHead,
    sealable_heads,
    sealed_so_far,
    sealing_batches,
    sealing_root,
)
from backend.services.anchoring.heads.store import SqlNodeStore

__all__ = [
    "Break",
    "ChainedEvent",
    "HeadProofAt",
    "HeadsAudit",
    "HeadsBase",
    "HeadsHistoryError",
    "HeadsReplay",
    "HeadsStep",
    "SealedHead",
    "SqlNodeStore",
    "anchored_heads",
    "audit_heads",
    "head_proof",
    "heads_version",
    "newest_base",
    "replay_heads",
    "sealable_heads",
    "sealed_so_far",
    "sealing_batches",
    "sealing_root",
]
