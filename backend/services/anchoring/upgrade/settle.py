"""Upgrade step 2: every batch stored before rules v2 is anchored on a retired registry, or not.

The seal counts a v1 lot's events in batches that record no heads roots (stored before rules
v2), while a verifier counts the events it finds anchored on a retired registry; the two must
be the same events. So before sealing, each such batch is settled:

* confirmed on a retired registry the ledger names: left as it is (the verifier checks it);
* found anchored on a retired registry (still open, or confirmed without a registry recorded):
  recorded as confirmed there, with its block and transaction from the registry's log;
* anchored nowhere we retired: it becomes a rules v2 batch that moves no head (heads roots
  zero to zero, the root before every batch that records one), anchored on the new registry
  like any other, and left out of the seal. An open one starts a fresh set of attempts;
* sent to the old registry and still waiting in the node's pool: the upgrade stops, since
  that transaction may yet land there; it is run again once it is mined or dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from backend.chain import ChainClient
from backend.chain.legacy import LegacyRegistry
from backend.chain.tx_state import TxStatus, tx_state
from backend.hashing import from_hex, to_hex
from backend.hashing.heads import ZERO
from backend.models import Batch, BatchStatus
from backend.services.anchoring import rows
from backend.timeutil import utcnow

logger = logging.getLogger(__name__)


class UpgradeError(RuntimeError):
    """The upgrade cannot go on; the message says why and what to do."""


@dataclass
class Settled:
    """What settling the batches stored before rules v2 did."""

    found_on_retired: int = 0
    adopted: int = 0
    waiting: list[str] = field(default_factory=list)  # transactions still in the pool


def settle_v1_batches(engine: Engine, chain: ChainClient) -> Settled:
    """Settle every batch that records no heads roots (see the module docstring)."""
    ids = _unsettled_ids(engine, chain)
    settled = Settled()
    step = partial(_settle, chain, settled=settled)
    for batch_id in ids:
        rows.with_row(engine, Batch, batch_id, step)
    if settled.waiting:
        raise UpgradeError(
            "transactions to the retired registry are still waiting to be mined "
            f"({', '.join(settled.waiting)}); run the upgrade again once they are mined or dropped"
        )
    return settled


def _unsettled_ids(engine: Engine, chain: ChainClient) -> list[int]:
    """Batches without heads roots, except those confirmed on a retired registry."""
    retired = [old.contract_address for old in chain.legacy_registries]
    with Session(engine) as session:
        first_rooted = session.exec(
            select(func.min(Batch.id)).where(col(Batch.heads_root).is_not(None))
        ).one()
        statement = select(Batch.id).where(col(Batch.heads_root).is_(None))
        if (
            first_rooted is not None
            and session.exec(statement.where(col(Batch.id) > first_rooted).limit(1)).first()
        ):
            raise UpgradeError(
                "a batch without heads roots was stored after one with them: "
                "the batches do not form one history (sentrace heads rebuild --replay)"
            )
        recorded = func.coalesce(col(Batch.contract_address), "")  # NULL: not recorded
        done = (col(Batch.status) == BatchStatus.CONFIRMED) & recorded.in_(retired)
        return [i for i in session.exec(statement.where(~done).order_by(col(Batch.id))) if i]


def _settle(chain: ChainClient, session: Session, batch: Batch, *, settled: Settled) -> None:
    root = from_hex(batch.root)
    for old in chain.legacy_registries:
        info = old.anchor_of(root)
        if info is not None:
            _confirm_on(chain, old, batch, root, info.timestamp)
            settled.found_on_retired += 1
            break
    else:
        if _still_waiting(chain, batch):
            settled.waiting.append(str(batch.tx_hash))
            return
        _adopt(batch)
        settled.adopted += 1
    session.add(batch)
    session.commit()


def _still_waiting(chain: ChainClient, batch: Batch) -> bool:
    """Whether ``batch`` was sent and its transaction is still in the node's pool."""
    if batch.status is not BatchStatus.SENT or not batch.tx_hash:
        return False
    return tx_state(chain, batch.tx_hash).status is TxStatus.WAITING


def _confirm_on(
    chain: ChainClient, old: LegacyRegistry, batch: Batch, root: bytes, timestamp: int
) -> None:
    """Record ``batch`` as anchored on the retired registry ``old``, where its root is (its
    log read from its transaction's receipt, else from the blocks of its time)."""
    where = old.anchor_receipt(root, tx_hash=batch.tx_hash, timestamp=timestamp)
    if where is not None:
        batch.block_number, batch.tx_hash = where.block_number, where.tx_hash
    batch.status = BatchStatus.CONFIRMED
    batch.chain_id, batch.contract_address = chain.chain_id, old.contract_address
    batch.confirmed_at = batch.confirmed_at or utcnow()
    batch.last_error = None
    logger.info("batch %s: found anchored on retired registry %s", batch.id, old.contract_address)


def _adopt(batch: Batch) -> None:
    """Make ``batch`` a rules v2 batch that moves no head; an open one is sent afresh."""
    batch.prev_heads_root = batch.heads_root = to_hex(ZERO)
    if batch.status is not BatchStatus.CONFIRMED:
        batch.status, batch.attempts = BatchStatus.PENDING, 0
        batch.tx_hash = batch.last_error = None
        batch.sent_at = None
    logger.info("batch %s: anchored on no retired registry; it moves no head", batch.id)
