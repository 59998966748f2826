"""Reconcile: is everything the database calls anchored still on the chain?

Chains forget: a reorg drops recent blocks, a development node loses its state, an operator
points the server at a new registry. Every confirmed batch whose root is no longer returned by
``anchorOf`` (of the registry it was anchored on: one retired by ``sentrace upgrade`` keeps its
anchors) is put back to ``pending`` so the sender anchors it again; confirmed milestones and
recalls that vanished go back to the outbox the same way.

Re-anchoring must not become a way to launder an edited database. A vanished root is only sent
again when the batch's stored leaves still rebuild exactly that root and its event count, and
when the transaction that anchored it is gone from the chain too; if that transaction is still
mined on the same registry, the root in the database is not the one it anchored, so the batch
is left alone (verification keeps calling it tampered) and the refusal is reported.

A full pass checks every batch. Any other pass, the first after a restart included, looks back
to the last block a finished pass counted final (the chain checkpoint,
:mod:`~backend.services.anchoring.checkpoint`: number and hash, kept in the database): a reorg
that changed nothing at or below it can only have taken what was confirmed after it. The pass
widens to a full one by itself when there is no checkpoint, when the checkpoint's block has
another hash now (a reorg deeper than finality, however deep, or a reset chain), or when the
chain looks reset (its head is below a block we recorded, or the newest anchor is gone).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from backend.chain import ChainClient
from backend.chain.fact_cache import ChainFactCache
from backend.chain.finality import Finality
from backend.chain.tx_state import TxStatus, tx_state
from backend.hashing import HashingError, MerkleTree, from_hex, to_hex
from backend.models import Batch, BatchStatus, ChainAction, ChainActionKind, Event
from backend.services.anchoring import checkpoint, rows, signer_actions
from backend.services.anchoring.outbox import find_milestone

logger = logging.getLogger(__name__)

#: Prefix of ``Batch.last_error`` for a batch put back to pending because its root vanished;
#: verification reads it to say "being anchored again" rather than "waiting for a batch".
REANCHOR_NOTE = "re-anchoring"


@dataclass
class ReconcileReport:
    """What a reconcile pass found; roots are 0x hex."""

    full: bool = False
    since_block: int | None = None  # the look-back of a pass that was not full
    checked: int = 0
    requeued: list[str] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)
    retried_failed: int = 0
    actions_checked: int = 0
    actions_requeued: int = 0
    skipped: bool = False

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class Reconciler:
    """Compares confirmed batches and outbox actions with the chain; see the module docstring."""

    def __init__(
        self,
        *,
        engine: Engine,
        cache: ChainFactCache,
        on_tx_lost: Callable[[], None] = lambda: None,
        finality: Finality | None = None,
    ) -> None:
        self.engine = engine
        self.cache = cache
        self.finality = finality or Finality()
        self._on_tx_lost = on_tx_lost  # one of our transactions vanished: re-read nonces
        self._full_requested = True  # a process reconciles before its first pass
        self._must_be_full = False  # a new client or registry: the checkpoint vouches for nothing

    @property
    def full_requested(self) -> bool:
        return self._full_requested

    def request_full(self) -> None:
        self._full_requested = self._must_be_full = True

    def run(self, chain: ChainClient, *, full: bool, retry_failed: bool = False) -> ReconcileReport:
        """One pass: ``full`` checks every anchor, otherwise those from the checkpoint on."""
        mark = self.finality.mark(chain, with_hash=True)  # before any read: see checkpoint
        since = None if full or self._must_be_full else checkpoint.look_back(self.engine, chain)
        if since is not None and self._looks_reset(chain, chain.block_number()):
            since = None
        report = ReconcileReport(full=since is None, since_block=since)
        if retry_failed:
            report.retried_failed = self._retry_failed()
        confirmed = BatchStatus.CONFIRMED  # a row that moved on since it was listed is skipped
        check_batch = partial(self._check_batch, chain, report=report)
        for batch_id in self._confirmed_batch_ids(chain, since):
            rows.with_row(self.engine, Batch, batch_id, check_batch, status=confirmed)
        check_action = partial(self._check_action, chain, report=report)
        for action_id in self._confirmed_action_ids(since):
            rows.with_row(self.engine, ChainAction, action_id, check_action, status=confirmed)
        checkpoint.save(self.engine, chain.chain_id, mark)
        self._full_requested = self._must_be_full = False
        if report.requeued or report.refused or report.actions_requeued:
            logger.warning("reconcile: %s", report.as_dict())
        return report

    # ------------------------------------------------------------------------ selection

    def _looks_reset(self, chain: ChainClient, head: int) -> bool:
        with Session(self.engine) as session:
            newest = session.exec(
                select(Batch)
                .where(col(Batch.status) == BatchStatus.CONFIRMED)
                .order_by(col(Batch.block_number).desc().nulls_last(), col(Batch.id).desc())
                .limit(1)
            ).first()
        if newest is None:
            return False
        if newest.block_number is not None and newest.block_number > head:
            logger.warning("chain head %d is below anchored block %d", head, newest.block_number)
            return True
        return chain.registry_for(newest.contract_address).anchor_of(from_hex(newest.root)) is None

    def _confirmed_batch_ids(self, chain: ChainClient, since: int | None) -> list[int]:
        statement = select(Batch.id).where(col(Batch.status) == BatchStatus.CONFIRMED)
        if since is not None:
            known = [
                str(chain.contract_address),
                *(r.contract_address for r in chain.legacy_registries),
            ]
            statement = statement.where(
                (col(Batch.block_number) >= since)
                | col(Batch.block_number).is_(None)
                | col(Batch.contract_address).not_in(known)
            )
        with Session(self.engine) as session:
            return [i for i in session.exec(statement.order_by(col(Batch.id))).all() if i]

    def _confirmed_action_ids(self, since: int | None) -> list[int]:
        statement = select(ChainAction.id).where(col(ChainAction.status) == BatchStatus.CONFIRMED)
        if since is not None:
            statement = statement.where(
                (col(ChainAction.block_number) >= since) | col(ChainAction.block_number).is_(None)
            )
        with Session(self.engine) as session:
            return [i for i in session.exec(statement.order_by(col(ChainAction.id))).all() if i]

    def _retry_failed(self) -> int:
        """Give failed batches and actions a fresh set of attempts (operator's request)."""
        count = 0
        with Session(self.engine) as session:
            for model in (Batch, ChainAction):
                rows = session.exec(
                    select(model).where(col(model.status) == BatchStatus.FAILED)  # type: ignore[attr-defined]
                ).all()
                for row in rows:
                    row.status, row.attempts = BatchStatus.PENDING, 0
                    session.add(row)
                    count += 1
            session.commit()
        return count

    # -------------------------------------------------------------------------- batches

    def _check_batch(
        self, chain: ChainClient, session: Session, batch: Batch, *, report: ReconcileReport
    ) -> None:
        report.checked += 1
        registry = chain.registry_for(batch.contract_address)  # a retired one keeps its anchors
        if registry.anchor_of(from_hex(batch.root)) is not None:
            if (
                registry is chain
                and (batch.contract_address or "").lower() != str(chain.contract_address).lower()
            ):
                batch.chain_id, batch.contract_address = chain.chain_id, chain.contract_address
                session.add(batch)
                session.commit()
            return
        key = ChainFactCache.chain_key(chain.chain_id, str(chain.contract_address))
        self.cache.forget_anchor(key, batch.root)
        problem = self._why_not_reanchor(chain, session, batch)
        if problem is not None:
            logger.error("batch %s: root vanished but NOT re-anchored: %s", batch.id, problem)
            batch.last_error = f"reconcile refused to re-anchor: {problem}"[:2000]
            report.refused.append({"root": batch.root, "reason": problem})
            session.add(batch)
            session.commit()
            return
        self._requeue(chain, session, batch)
        report.requeued.append(batch.root)

    def _requeue(self, chain: ChainClient, session: Session, batch: Batch) -> None:
        state = tx_state(chain, batch.tx_hash) if batch.tx_hash else None
        if state is not None and state.status is TxStatus.WAITING:
            batch.status = BatchStatus.SENT  # reorged back into the pool: wait for it
        else:
            if state is not None and state.status is TxStatus.UNKNOWN:
                self._on_tx_lost()
            batch.status = BatchStatus.PENDING
            batch.tx_hash = None
        batch.block_number = None
        batch.confirmed_at = None
        batch.last_error = (
            f"{REANCHOR_NOTE}: root vanished from chain {chain.chain_id} "
            f"registry {chain.contract_address}"
        )
        logger.warning("batch %s: %s", batch.id, batch.last_error)
        session.add(batch)
        session.commit()

    @staticmethod
    def _why_not_reanchor(chain: ChainClient, session: Session, batch: Batch) -> str | None:
        """None when the stored batch is self-consistent and its anchor is truly gone."""
        leaves = session.exec(select(Event.leaf).where(col(Event.batch_id) == batch.id)).all()
        if len(leaves) != batch.event_count:
            return f"{len(leaves)} event rows for {batch.event_count} anchored events"
        try:
            rebuilt = MerkleTree.build([from_hex(leaf or "") for leaf in leaves]).root
        except HashingError:
            return "stored leaves are malformed"
        if to_hex(rebuilt) != batch.root.lower():
            return "stored leaves do not rebuild the stored root"
        same_registry = (batch.contract_address or "").lower() == str(
            chain.contract_address
        ).lower()
        if batch.tx_hash and same_registry:
            state = tx_state(chain, batch.tx_hash)
            if state.status is TxStatus.MINED:
                return f"transaction {batch.tx_hash} is still on chain but anchored another root"
        return None

    # -------------------------------------------------------------------------- outbox

    def _check_action(
        self, chain: ChainClient, session: Session, action: ChainAction, *, report: ReconcileReport
    ) -> None:
        report.actions_checked += 1
        if self._action_on_chain(chain, action):
            session.add(action)
            session.commit()
            return
        if action.tx_hash:
            self._on_tx_lost()
        if action.kind in signer_actions.FIRST_KINDS:
            signer_actions.vanished(session, action)  # signed again; its key waits for it
        action.status = BatchStatus.PENDING
        action.last_error = "vanished from chain; sending again"
        session.add(action)
        session.commit()
        report.actions_requeued += 1

    @staticmethod
    def _action_on_chain(chain: ChainClient, action: ChainAction) -> bool:
        if action.kind is ChainActionKind.RECALL:
            return chain.is_recalled(from_hex(action.lot_key))
        if action.kind in signer_actions.FIRST_KINDS:  # the registry's record, no lot logs
            return signer_actions.on_chain(chain, action)
        if action.tx_hash and tx_state(chain, action.tx_hash).status is TxStatus.MINED:
            return True
        found = find_milestone(chain, action)
        if found is None:
            return False
        action.tx_hash, action.block_number = found.tx_hash, found.block_number
        return True


def count_by_status(engine: Engine) -> dict[str, int]:
    """Batches per status, for the admin endpoint and the CLI."""
    with Session(engine) as session:
        rows = session.exec(select(Batch.status, func.count()).group_by(Batch.status)).all()
    return {str(status): int(count) for status, count in rows}
