"""The chain outbox: milestones, recalls and signer changes, one transaction each.

The write path inserts a ``ChainAction`` in the same database transaction as the event it
belongs to; this module sends them in ``id`` order and follows each to confirmation with the
same crash-safe steps as the batches: ``pending → sent → confirmed``.

``recordLotEvent`` stores nothing on chain, so the contract cannot refuse a duplicate; the
sender proves it never sends one twice instead. Each action gets one nonce for ever: its
transaction is stored before it is broadcast, retries broadcast the same bytes and a stuck one
is replaced at the same nonce (``sending.TxBook``), so at most one of them can be mined. A new
nonce is only taken when the old one was used by a transaction that is none of the action's
attempts, and only after the lot's ``LotEventRecorded`` logs were searched for the milestone
(as for any action attempted before: the attempt counter is committed before each send).
A recall is idempotent on chain already (``isRecalled``, and the
``TraceRegistryLotAlreadyRecalled`` revert counts as done). Signer changes and regulator
grants (``signer_actions``) are sent first in a pass, before its batches, and are idempotent
the same way (the registry's ``signerOf`` and ``hasRole``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial

from eth_account.signers.local import LocalAccount
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from backend.chain import ChainClient, ChainError, ChainRejected, ChainReverted, LotEventLog
from backend.chain.error_classes import explain_failed_tx
from backend.chain.finality import Finality
from backend.chain.sender import Transactable
from backend.chain.tx_state import TxStatus, tx_state
from backend.config import Settings
from backend.hashing import from_hex
from backend.models import BatchStatus, ChainAction, ChainActionKind
from backend.services.anchoring import rows, signer_actions
from backend.services.anchoring.backoff import SendFailures
from backend.services.anchoring.sending import Follow, TxBook

logger = logging.getLogger(__name__)

ALREADY_RECALLED = "TraceRegistryLotAlreadyRecalled"
#: Actions handled per pass; the worker comes straight back when more are waiting.
ACTIONS_PER_PASS = 100


@dataclass
class OutboxReport:
    sent: int = 0
    confirmed: int = 0
    requeued: int = 0
    failed: int = 0
    more_work: bool = False


def find_milestone(chain: ChainClient, action: ChainAction) -> LotEventLog | None:
    """The ``LotEventRecorded`` log of this action, if a previous attempt got through.

    The receipt of the transaction the action records comes first (one call); the lot's logs
    (bounded scans, read on from the previous scan of the lot) only when that holds no such log:
    no transaction recorded (a crash between send and commit), or another one landed.
    """
    payload, lot_key = from_hex(action.payload_hash), from_hex(action.lot_key)

    def ours(log: LotEventLog) -> bool:
        return log.event_hash == payload and log.kind == action.event_kind

    if action.tx_hash:
        found = next(filter(ours, chain.lot_events_in(action.tx_hash, lot_key)), None)
        if found is not None:
            return found
    return next(filter(ours, chain.lot_events(lot_key)), None)


class OutboxSender:
    """Works the outbox for one database against one chain client."""

    def __init__(
        self,
        *,
        engine: Engine,
        confirmations: int,
        on_tx_lost: Callable[[], None] = lambda: None,
        finality: Finality | None = None,
        failures: SendFailures | None = None,
        signer_admin: LocalAccount | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.engine = engine
        self.signer_admin = signer_admin  # signs signer changes (signer_actions)
        self.settings = settings or Settings()
        self.confirmations = confirmations
        self.finality = finality or Finality(confirmations=confirmations)
        self._on_tx_lost = on_tx_lost  # a sent transaction vanished: nonces need re-reading
        self._failures = failures or SendFailures()  # refused sends wait or fail (backoff)
        self._book: TxBook  # the pass's stored transactions, given to each process()

    def process(
        self, chain: ChainClient, book: TxBook, *, first: bool | None = None
    ) -> OutboxReport:
        """Advance the open actions, sending through ``book`` (the pass's stored transactions);
        ``first`` True: only signer changes and grants, False: only the others, None: all."""
        self._book = book
        report = OutboxReport()
        ids = _open_ids(self.engine, first, limit=ACTIONS_PER_PASS + 1)
        report.more_work = len(ids) > ACTIONS_PER_PASS
        send = partial(self._send_when_due, chain, report=report)
        confirm = partial(self._confirm, chain, report=report)
        for action_id in ids[:ACTIONS_PER_PASS]:
            rows.advance(self.engine, ChainAction, action_id, send=send, confirm=confirm)
            if report.requeued:
                break  # a transaction vanished: the next pass sends with fresh nonces
        return report

    # -------------------------------------------------------------------------- sending

    def _send_when_due(
        self, chain: ChainClient, session: Session, action: ChainAction, report: OutboxReport
    ) -> None:
        """Send ``action`` unless it waits after a temporary refusal (see ``backoff``)."""
        key = ("action", action.id or 0)
        if self._failures.due(key):
            self._send(chain, session, action, report)
            if action.status is BatchStatus.SENT:
                self._failures.sent(key)

    def _send(
        self, chain: ChainClient, session: Session, action: ChainAction, report: OutboxReport
    ) -> None:
        lot_key = from_hex(action.lot_key) if action.lot_key else b""  # none: signer actions
        tracked = self._book.track(session, action)
        if tracked.coming and tracked.record is not None:  # one nonce per action, for ever
            action.tx_hash = tracked.record.tx_hash
            self._save(session, action, status=BatchStatus.SENT)
            return
        if action.kind is ChainActionKind.RECALL:
            if chain.is_recalled(lot_key):
                self._save(session, action, status=BatchStatus.SENT)
                return
        elif action.kind in signer_actions.FIRST_KINDS:
            if signer_actions.on_chain(chain, action):
                self._save(session, action, status=BatchStatus.SENT)
                return
            if action.kind is ChainActionKind.SET_SIGNER:
                try:
                    admin = signer_actions.admin_for(chain, self.signer_admin, self.settings)
                    signer_actions.sign_change(chain, session, action, admin)
                except (ChainError, signer_actions.SignerAdminMissing) as exc:
                    self._failed(session, action, exc, report)
                    return
        elif action.attempts > 0 or tracked.follow is not Follow.NONE:
            found = find_milestone(chain, action)
            if found is not None:
                action.tx_hash, action.block_number = found.tx_hash, found.block_number
                self._save(session, action, status=BatchStatus.SENT)
                return
        action.attempts += 1
        self._save(session, action)  # committed before sending: see the module docstring
        try:
            if tracked.refused is not None:  # stored, refused again: the same bytes, later
                raise tracked.refused
            record = self._book.send(session, action, _call(chain, action, lot_key))
        except ChainReverted as exc:
            if action.kind is ChainActionKind.RECALL and exc.error_name == ALREADY_RECALLED:
                self._save(session, action, status=BatchStatus.SENT)
                return
            if action.kind in signer_actions.FIRST_KINDS:
                if exc.error_name in signer_actions.ALREADY_DONE and signer_actions.on_chain(
                    chain, action
                ):
                    self._save(session, action, status=BatchStatus.SENT)
                    return
                if exc.error_name in signer_actions.SIGN_AGAIN:
                    signer_actions.forget_signature(action)
            self._failed(session, action, exc, report)
            return
        except (ChainRejected, ValueError) as exc:
            self._failed(session, action, exc, report)
            return
        action.tx_hash = record.tx_hash
        action.last_error = None
        self._save(session, action, status=BatchStatus.SENT)
        report.sent += 1

    @staticmethod
    def _save(session: Session, action: ChainAction, *, status: BatchStatus | None = None) -> None:
        if status is not None:
            action.status = status
        session.add(action)
        session.commit()

    def _failed(
        self, session: Session, action: ChainAction, exc: Exception, report: OutboxReport
    ) -> None:
        """By the error's class: wait and send again, fail now, or fail after a few reverts."""
        if self._failures.settle(("action", action.id or 0), action, exc):
            report.failed += 1
        session.add(action)
        session.commit()

    # ---------------------------------------------------------------------- confirming

    def _confirm(
        self, chain: ChainClient, session: Session, action: ChainAction, report: OutboxReport
    ) -> None:
        finding = self._finding(chain, session, action)
        if finding.where is Where.IN_POOL:
            return
        if finding.where is Where.REVERTED and action.tx_hash:  # counted, not resent forever
            explained: ChainError = explain_failed_tx(chain, action.tx_hash)
            action.status = BatchStatus.PENDING
            self._failed(session, action, explained, report)
            return
        if finding.where is Where.LOST:
            logger.warning("chain action %s is not on chain; sending again", action.id)
            if action.tx_hash:
                self._on_tx_lost()
            action.last_error = "not found on chain; sending again"
            self._save(session, action, status=BatchStatus.PENDING)
            report.requeued += 1
            return
        if finding.tx_hash is not None:
            action.tx_hash = finding.tx_hash
        if finding.block_number is not None:
            action.block_number = finding.block_number
            if not self.finality.is_final(chain, finding.block_number, action.tx_hash):
                self._save(session, action)
                return
        signer_actions.confirmed(session, action)  # a signer change moves its key's row
        self._save(session, action, status=BatchStatus.CONFIRMED)
        report.confirmed += 1

    def _finding(self, chain: ChainClient, session: Session, action: ChainAction) -> Finding:
        """The action's stored attempts first: whichever was mined, or one still waiting; the
        chain's own record only without stored attempts or when their nonce went elsewhere."""
        tracked = self._book.track(session, action)
        if tracked.follow is Follow.WAITING:
            return Finding(Where.IN_POOL)
        if tracked.record is not None:
            action.tx_hash = tracked.record.tx_hash
        if tracked.follow is Follow.MINED and tracked.succeeded:
            return Finding(Where.ON_CHAIN, tracked.block_number, action.tx_hash)
        if action.kind is ChainActionKind.RECALL:
            return _recall_finding(chain, action)
        if action.kind in signer_actions.FIRST_KINDS:
            return _signer_finding(chain, action)
        return _milestone_finding(chain, action)


def _open_ids(engine: Engine, first: bool | None, *, limit: int) -> list[int]:
    """Open actions, oldest first: all, or only signer changes and grants, or only the rest."""
    if first is None:
        return rows.open_ids(engine, ChainAction, limit=limit)
    kinds = col(ChainAction.kind).in_(signer_actions.FIRST_KINDS)
    statement = (
        select(ChainAction.id)
        .where(col(ChainAction.status).in_(rows.OPEN))
        .where(kinds if first else ~kinds)
        .order_by(col(ChainAction.id))
        .limit(limit)
    )
    with Session(engine) as session:
        return [row_id for row_id in session.exec(statement).all() if row_id is not None]


def _call(chain: ChainClient, action: ChainAction, lot_key: bytes) -> Transactable:
    signed = signer_actions.call_for(chain, action)
    if signed is not None:
        return signed
    payload = from_hex(action.payload_hash)
    if action.kind is ChainActionKind.RECALL:
        return chain.recall_call(lot_key, payload)
    if action.event_kind is None:
        raise ValueError(f"chain action {action.id} has no event kind")
    return chain.lot_event_call(lot_key, action.event_kind, payload)


class Where(StrEnum):
    """Where a sent action stands on chain."""

    ON_CHAIN = "on_chain"
    IN_POOL = "in_pool"  # sent, not mined yet: wait
    LOST = "lost"  # dropped, reorged out or chain reset: send again
    REVERTED = "reverted"  # mined with status 0 and not on chain otherwise: counted, see backoff


@dataclass(frozen=True)
class Finding:
    where: Where
    block_number: int | None = None
    tx_hash: str | None = None


def _recall_finding(chain: ChainClient, action: ChainAction) -> Finding:
    state = tx_state(chain, action.tx_hash) if action.tx_hash else None
    if state is not None and state.status is TxStatus.WAITING:
        return Finding(Where.IN_POOL)
    if not chain.is_recalled(from_hex(action.lot_key)):
        failed = state is not None and state.status is TxStatus.FAILED
        return Finding(Where.REVERTED if failed else Where.LOST)
    if state is not None and state.status is TxStatus.MINED:
        return Finding(Where.ON_CHAIN, state.block_number)
    # Recalled by some other transaction (ours reverted as "already recalled", or was replaced).
    return Finding(Where.ON_CHAIN)


def _milestone_finding(chain: ChainClient, action: ChainAction) -> Finding:
    state = tx_state(chain, action.tx_hash) if action.tx_hash else None
    if state is not None and state.status is TxStatus.WAITING:
        return Finding(Where.IN_POOL)
    if state is not None and state.status is TxStatus.MINED:
        return Finding(Where.ON_CHAIN, state.block_number)
    found = find_milestone(chain, action)
    if found is None:
        failed = state is not None and state.status is TxStatus.FAILED
        return Finding(Where.REVERTED if failed else Where.LOST)
    return Finding(Where.ON_CHAIN, found.block_number, found.tx_hash)


def _signer_finding(chain: ChainClient, action: ChainAction) -> Finding:
    state = tx_state(chain, action.tx_hash) if action.tx_hash else None
    if state is not None and state.status is TxStatus.WAITING:
        return Finding(Where.IN_POOL)
    if not signer_actions.on_chain(chain, action):
        failed = state is not None and state.status is TxStatus.FAILED
        return Finding(Where.REVERTED if failed else Where.LOST)
    if state is not None and state.status is TxStatus.MINED:
        return Finding(Where.ON_CHAIN, state.block_number)
    return Finding(Where.ON_CHAIN)  # done by another transaction (an earlier attempt)
