"""The last block reconcile counted final, kept in the database so it outlives the process.

A reorg replaces a suffix of the chain: every block above the fork point changes. So if the
block at the checkpoint's height still has the checkpoint's hash, nothing at or below it changed
since the last reconcile, and only what was confirmed from there on needs checking again; if the
hash changed (a reorg deeper than finality, a development chain reset, another chain behind the
same id) nothing is vouched for and the pass checks everything. The checkpoint is taken before a
pass reads anything and saved only once the pass has finished, so what it vouches for was
checked against a chain that held this block.

It lives in the database, beside the batches it speaks for: a database restored from a backup
brings the checkpoint of its own time.
"""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from backend.chain import ChainClient
from backend.chain.finality import FinalMark, block_hash
from backend.models import ChainCheckpoint
from backend.timeutil import utcnow

logger = logging.getLogger(__name__)


def look_back(engine: Engine, chain: ChainClient) -> int | None:
    """The first block a reconcile of ``chain`` must check; None: every block (full pass)."""
    with Session(engine) as session:
        saved = session.get(ChainCheckpoint, chain.chain_id)
    if saved is None:
        return None
    now = block_hash(chain, saved.block_number)
    if now is None or now.lower() != saved.block_hash.lower():
        logger.warning(
            "block %d of chain %d is no longer %s (a reorg below the last final block, or a "
            "reset chain): reconciling every anchor",
            saved.block_number,
            chain.chain_id,
            saved.block_hash,
        )
        return None
    return saved.block_number


def save(engine: Engine, chain_id: int, mark: FinalMark) -> None:
    """Remember ``mark`` (taken before the pass that just finished) for ``chain_id``."""
    if mark.block_hash is None or mark.number < 0:
        return
    with Session(engine) as session:
        row = session.get(ChainCheckpoint, chain_id)
        if row is None:
            row = ChainCheckpoint(chain_id=chain_id, block_number=mark.number, block_hash="")
        row.block_number, row.block_hash = mark.number, mark.block_hash
        row.updated_at = utcnow()
        session.add(row)
        try:
            session.commit()
        except IntegrityError:  # another process saved its own just now: keep that one
            session.rollback()
