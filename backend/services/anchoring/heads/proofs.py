"""Head proofs against a heads root the chain holds, read from the versioned map.

A verifier reads ``headsRoot()`` from the chain and asks for a lot's proof against exactly
that root (docs/proof-rules.md, section 7, step 4). The root names a batch here (the one that
recorded it as its ``heads_root``), and the map as of that batch's version gives the proof,
whether or not newer batches have been built since.
"""

from __future__ import annotations

import logging
from typing import NamedTuple, cast

from sqlmodel import Session, col, select

from backend.hashing import HashingError, HeadsMap, InvalidNode, to_hex
from backend.hashing.heads import ZERO, key_number
from backend.models import Batch
from backend.services.anchoring.heads.store import MISSING, LruCache, SqlNodeStore, database_token

logger = logging.getLogger(__name__)

#: heads root → version, per database: which batch recorded a root never changes once stored.
ROOT_VERSIONS = LruCache(4096)


class HeadProofAt(NamedTuple):
    """A head proof as ``verifyHead`` takes it, with the leaf the map holds (None: no head)."""

    bitmap: int
    siblings: tuple[bytes, ...]
    leaf: bytes | None


def heads_version(session: Session, heads_root: bytes) -> int | None:
    """The version (a batch id) whose map has ``heads_root``; None when no batch recorded it.

    Batches that left the map unchanged record the same root; any of them will do, since
    they hold the same map. The newest is found first when the table is scanned by id.
    """
    key = (database_token(session), heads_root)
    cached = ROOT_VERSIONS.get(key)
    if cached is not MISSING:
        return cast(int, cached)
    found = session.exec(
        select(Batch.id)
        .where(col(Batch.heads_root) == to_hex(heads_root))
        .order_by(col(Batch.id).desc())
        .limit(1)
    ).first()
    if found is not None:  # an unknown root may yet be recorded: only answers are kept
        ROOT_VERSIONS.put_many([(key, found)])
    return found


def head_proof(session: Session, *, lot_key: bytes, heads_root: bytes) -> HeadProofAt | None:
    """``lot_key``'s head proof in the map whose root is ``heads_root``.

    The empty root is the empty map (every lot absent). None when no batch here recorded the
    root, or when the stored map cannot give a proof for it (nodes missing or altered): either
    way the head is not matching the chain, which is what the caller reports.
    """
    key_number(lot_key)  # a lot_key of the wrong shape is the caller's error, raised here
    if type(heads_root) is not bytes or len(heads_root) != len(ZERO):
        raise InvalidNode(f"heads_root must be 32 bytes, got {heads_root!r}")
    if heads_root == ZERO:
        return HeadProofAt(0, (), None)
    version = heads_version(session, heads_root)
    if version is None:
        return None
    store = SqlNodeStore(session, version)
    heads = HeadsMap(store)
    try:
        if heads.root != heads_root:
            logger.error(
                "heads map as of batch %s has root %s, not the %s it records",
                version,
                to_hex(heads.root),
                to_hex(heads_root),
            )
            return None
        proof, leaf = heads.proof(lot_key), heads.leaf(lot_key)
    except HashingError as exc:
        logger.error("heads map as of batch %s cannot be read: %s", version, exc)
        return None
    store.publish()
    return HeadProofAt(proof.bitmap, proof.siblings, None if leaf == ZERO else leaf)
