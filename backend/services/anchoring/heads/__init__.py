"""The lot heads map of rules v2 in the database: persisted by version, moved by each batch.

``store`` keeps the map's nodes (``SqlNodeStore``, versioned by batch id, with a process-wide
cache of committed reads). The map itself (hashing, paths, proofs) is
:class:`backend.hashing.HeadsMap`.
"""

from __future__ import annotations

from backend.services.anchoring.heads.store import SqlNodeStore

__all__ = ["SqlNodeStore"]
