"""The anchoring pipeline: stored batches → ``anchorBatch`` → confirmed after N blocks.

One pass (:meth:`AnchoringService.run_once`) builds new batches while they are due, then, holding
the sender lock, sends and confirms every open batch (oldest first) and works the outbox of
milestones and recalls. Building needs no lock (``SKIP LOCKED`` keeps workers apart, see
``batching``); sending is one process at a time (``pass_lock``). Every state change is
committed before the next network call, so a crash at any point leaves a state the next pass
completes:

    pending ──send──▶ sent ──N blocks──▶ confirmed
       ▲  (root already on chain: skip the send)  │
       └──── tx dropped / root vanished ◀─────────┘  (reconcile: anchoring.reconcile)

Never a double anchor: before sending, the root is looked up on chain (``anchorOf``); a root
that is already there counts as sent, and the contract's ``TraceRegistryRootAlreadyAnchored``
revert counts as success. Never a blind resend of a stale heads root: when the registry's heads
root is not the one a batch was built on (``TraceRegistryStaleHeadsRoot``), a batch whose heads
roots came from the ledger fails at once for an operator (see ``heads_update``). Never a lost
event: events leave the pending queue only inside the transaction that stores their batch. A
chain node that is down raises :class:`~backend.chain.ChainUnavailable` out of the pass; the
worker backs off and retries.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from functools import partial

from sqlalchemy.engine import Engine
from sqlmodel import Session

from backend.chain import (
    ChainClient,
    ChainError,
    ChainRejected,
    ChainReverted,
    ChainUnavailable,
    StaleHeadsRoot,
)
from backend.chain.error_classes import explain_failed_tx
from backend.chain.fact_cache import ChainFactCache
from backend.chain.finality import Finality
from backend.chain.tx_state import TxStatus, tx_state
from backend.config import Settings
from backend.hashing import from_hex
from backend.models import Batch, BatchStatus
from backend.services.anchoring import batching, rows
from backend.services.anchoring.backoff import BatchOrder, SendFailures, stuck
from backend.services.anchoring.heads_update import UnsendableHeadsUpdate, heads_update_for
from backend.services.anchoring.lease import new_holder
from backend.services.anchoring.outbox import OutboxSender
from backend.services.anchoring.pass_lock import sender_lock
from backend.services.anchoring.reconcile import Reconciler, ReconcileReport
from backend.services.anchoring.reports import PassReport
from backend.services.anchoring.sending import Follow, Tracked, TxBook, sending_pass
from backend.services.anchoring.signer_actions import resolve_signer_admin
from backend.services.anchoring.signer_gate import SignerGate
from backend.timeutil import utcnow

logger = logging.getLogger(__name__)

ALREADY_ANCHORED = "TraceRegistryRootAlreadyAnchored"
#: New batches built per pass, so one pass stays short even with a large backlog.
BATCHES_PER_PASS = 10

ChainProvider = Callable[[], ChainClient]


class AnchoringService:
    """Builds, sends, confirms and reconciles batches for one database and one chain."""

    def __init__(
        self,
        *,
        engine: Engine,
        settings: Settings,
        chain: ChainProvider,
        cache: ChainFactCache | None = None,
        on_tx_lost: Callable[[], None] | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.cache = cache or ChainFactCache()
        self._chain = chain
        self._on_tx_lost = on_tx_lost
        self._tx_lost = threading.Event()
        self._local_lock = threading.Lock()
        self._failures = SendFailures()  # refused sends: waits and revert counts (backoff)
        self._order = BatchOrder(self._failures)  # anchors go in batch order (heads roots)
        #: When a mined transaction counts as final (``chain.finality``), shared by all parts.
        self.finality = Finality.from_settings(settings)
        self._outbox = OutboxSender(
            engine=engine,
            confirmations=settings.confirmations,
            on_tx_lost=self._note_tx_lost,
            finality=self.finality,
            failures=self._failures,
            signer_admin=resolve_signer_admin(settings),
            settings=settings,
        )
        self._reconciler = Reconciler(
            engine=engine, cache=self.cache, on_tx_lost=self._note_tx_lost, finality=self.finality
        )
        self._seen_registry: tuple[int, int, str] | None = None
        self._holder = new_holder()  # this service's name in the sender lease
        self._book: TxBook | None = None  # the stored transactions, during a pass
        self._gate = SignerGate()  # are the batch's signing keys on chain? (asked per pass)

    # ----------------------------------------------------------------------- entry points

    def run_once(self, *, force: bool = False, wait: bool = False) -> PassReport:
        """One full pass; ``force`` builds a batch from whatever is pending (flush now)."""
        report = PassReport()
        chain = self._chain()
        if not chain.is_connected():  # no chain, no new batches: events simply stay pending
            raise ChainUnavailable(f"chain node at {chain.endpoint} is not answering")
        self._build_some(report, force=force)
        with sender_lock(self.engine, self._local_lock, wait=wait) as held:
            if not held:
                report.skipped = True
                return report
            # Asked again under the lock: a client discarded since (its transactions
            # vanished) must not send anything more.
            chain = self._chain()
            self._tx_lost.clear()
            self._notice_registry_change(chain)
            if self._reconciler.full_requested:
                self._reconcile_first(chain)
            # The fence: sends only under the sender lease (see lease.py, sending.py).
            with sending_pass(self.engine, chain, self.settings, holder=self._holder) as book:
                self._book = book
                if book is None:
                    report.skipped = True
                    return report
                book.flush()
                # Signer changes first: events of a key they activate are batched and sent
                # in this same pass (before, they wait: see batching).
                keys = partial(self._outbox_pass, first=True, force=force)
                steps = (keys, self._advance_open_batches)
                for step in (*steps, partial(self._outbox_pass, first=False)):
                    if not self._tx_lost.is_set():
                        step(chain, report)
            if self._tx_lost.is_set():
                report.more_work = True  # go again at once, with a client that re-reads nonces
        if report.built or report.confirmed or report.outbox_confirmed:
            logger.info("anchoring pass: %s", report.as_dict())
        return report

    def _build_some(self, report: PassReport, *, force: bool) -> None:
        """Build the batches that are due, a few per pass."""
        for _ in range(BATCHES_PER_PASS):
            if self._build(force=force) is None:
                return
            report.built += 1
        report.more_work = True

    def _outbox_pass(
        self, chain: ChainClient, report: PassReport, *, first: bool, force: bool = False
    ) -> None:
        """Work the outbox's signer changes (``first``: then build what the keys they made
        active let through) or its other actions."""
        assert self._book is not None, "the outbox is worked inside a pass"
        done = self._outbox.process(chain, self._book, first=first)
        report.add_outbox(done)
        if first and done.confirmed:
            self._build_some(report, force=force)

    def _reconcile_first(self, chain: ChainClient) -> None:
        """The reconcile a pass starts with after a restart (from the chain checkpoint) or a
        registry change (full).

        Its failure (a log query the node refuses, a node that drops a call) must not stop the
        pass: sending and confirming need no reconcile (a root already on chain is never sent
        again). It stays requested, so the next pass tries it again.
        """
        try:
            self._reconciler.run(chain, full=False)  # the reconciler widens it when it must
        except ChainError as exc:
            logger.warning("reconcile failed (%s); anchoring goes on, reconcile retried", exc)
        except Exception:  # a bug in reconcile must be loud, and still not stop anchoring
            logger.exception("reconcile failed unexpectedly; anchoring goes on")

    def reconcile(
        self, *, full: bool = True, wait: bool = True, retry_failed: bool = False
    ) -> ReconcileReport:
        """Check anchored roots (and recalls, milestones) against the chain; requeue lost ones.

        ``full`` checks every confirmed batch; otherwise those confirmed from the chain
        checkpoint on (the last final block a pass saw), unless that block changed or the
        chain looks reset, in which case the pass widens to everything by itself.
        ``retry_failed`` gives failed batches and outbox actions a fresh set of attempts
        (operator's request).
        """
        with sender_lock(self.engine, self._local_lock, wait=wait) as held:
            if not held:
                return ReconcileReport(skipped=True)
            chain = self._chain()
            self._notice_registry_change(chain)
            return self._reconciler.run(chain, full=full, retry_failed=retry_failed)

    # -------------------------------------------------------------------------- building

    def _build(self, *, force: bool) -> batching.BuiltBatch | None:
        try:
            return batching.build_batch(
                self.engine,
                max_events=self.settings.batch_max_events,
                max_delay_s=self.settings.batch_max_delay_s,
                force=force,
            )
        except batching.BatchContended as exc:
            logger.info("batch not built: %s", exc)
            return None

    # ------------------------------------------------------------------- send / confirm

    def _advance_open_batches(self, chain: ChainClient, report: PassReport) -> None:
        """Move each open batch as far as it can go now (pending → sent → confirmed)."""
        send = partial(self._send_in_order, chain, report=report)
        confirm = partial(self._confirm_in_order, chain, report=report)
        self._order.begin()
        self._gate.begin(chain)
        for batch_id in rows.open_ids(self.engine, Batch):
            if self._tx_lost.is_set():
                return  # this client's nonce counter is ahead of the chain: stop sending
            rows.advance(self.engine, Batch, batch_id, send=send, confirm=confirm)

    def _send_in_order(
        self, chain: ChainClient, session: Session, batch: Batch, report: PassReport
    ) -> None:
        """Send ``batch`` when the order of anchors allows it (``backoff.BatchOrder``)."""
        if self._order.may_send(chain, batch):
            self._send(chain, session, batch, report)
        self._order.after(batch)

    def _confirm_in_order(
        self, chain: ChainClient, session: Session, batch: Batch, report: PassReport
    ) -> None:
        self._confirm(chain, session, batch, report)
        self._order.after(batch)

    def _send(self, chain: ChainClient, session: Session, batch: Batch, report: PassReport) -> None:
        root = from_hex(batch.root)
        if chain.anchor_of(root) is not None:
            logger.info("batch %s: root already on chain, not sending again", batch.id)
            self._mark_sent(session, batch, tx_hash=None)
            return
        assert self._book is not None, "batches are sent inside a pass"
        tracked = self._book.track(session, batch)
        if tracked.coming and tracked.record is not None:  # one nonce per batch, for ever
            self._mark_sent(session, batch, tx_hash=tracked.record.tx_hash)
            return
        if self._gate.holds(session, batch):
            if self._gate.take_news():  # a full reconcile puts vanished registrations back
                self._reconciler.request_full()
            return
        try:
            if tracked.refused is not None:  # stored, refused again: the same bytes, later
                raise tracked.refused
            call = chain.anchor_call(root, batch.event_count, heads_update_for(batch, chain))
            record = self._book.send(session, batch, call)
        except StaleHeadsRoot as exc:
            # Without stored heads roots the next pass reads the registry's root afresh; with
            # them, the same stale root would be sent again: the heads map must be rebuilt.
            final = batch.heads_root is not None
            self._note_failure(session, batch, exc, report, final=final)
            return
        except UnsendableHeadsUpdate as exc:
            self._note_failure(session, batch, exc, report, final=True)
            return
        except ChainReverted as exc:
            if exc.error_name == ALREADY_ANCHORED:
                self._mark_sent(session, batch, tx_hash=None)
                return
            self._note_failure(session, batch, exc, report)
            return
        except ChainRejected as exc:
            self._note_failure(session, batch, exc, report)
            return
        batch.attempts += 1
        self._mark_sent(session, batch, tx_hash=record.tx_hash)
        report.sent += 1
        logger.info("batch %s: anchorBatch sent in %s", batch.id, record.tx_hash)

    @staticmethod
    def _mark_sent(session: Session, batch: Batch, *, tx_hash: str | None) -> None:
        batch.status = BatchStatus.SENT
        if tx_hash is not None:
            batch.tx_hash = tx_hash
        batch.sent_at = utcnow()
        batch.last_error = None
        session.add(batch)
        session.commit()

    def _note_failure(
        self,
        session: Session,
        batch: Batch,
        exc: Exception,
        report: PassReport,
        *,
        final: bool = False,
    ) -> None:
        """Count a failed send: by the error's class the batch waits (temporary), fails now
        (permanent, or ``final``: resending cannot succeed), or fails after a few reverts."""
        batch.attempts += 1
        if self._failures.settle(("batch", batch.id or 0), batch, exc, final=final):
            report.failed += 1
        session.add(batch)
        session.commit()

    def _confirm(
        self, chain: ChainClient, session: Session, batch: Batch, report: PassReport
    ) -> None:
        root = from_hex(batch.root)
        info = chain.anchor_of(root)
        if info is None:
            self._requeue_if_lost(chain, session, batch, report)
            return
        # Our transaction's receipt first; logs (a few blocks: the anchor's time) only without it.
        where = chain.anchor_receipt(root, tx_hash=batch.tx_hash, timestamp=info.timestamp)
        if where is None:  # a node that prunes logs; try our own transaction's receipt
            state = tx_state(chain, batch.tx_hash) if batch.tx_hash else None
            if state is None or state.block_number is None:
                return
            block_number, anchor_tx = state.block_number, batch.tx_hash
        else:
            block_number, anchor_tx = where.block_number, where.tx_hash
        batch.tx_hash = anchor_tx
        batch.block_number = block_number
        batch.chain_id = chain.chain_id
        batch.contract_address = chain.contract_address
        if self.finality.is_final(chain, block_number, anchor_tx):
            # Readers cache the anchor themselves, with the block hash that guards it.
            batch.status = BatchStatus.CONFIRMED
            batch.confirmed_at = utcnow()
            report.confirmed += 1
            logger.info("batch %s confirmed in block %d", batch.id, block_number)
        session.add(batch)
        session.commit()

    def _requeue_if_lost(
        self, chain: ChainClient, session: Session, batch: Batch, report: PassReport
    ) -> None:
        """A sent root is not on chain: wait while its nonce is unused (``sending.TxBook``)."""
        tracked = self._book.track(session, batch) if self._book else Tracked(Follow.NONE)
        if tracked.coming:
            return  # in the pool (broadcast again, replaced when stuck), or mined just now
        if tracked.record is not None:  # lost (its nonce used by another), or mined reverted
            batch.tx_hash = tracked.record.tx_hash
        if batch.tx_hash is not None:
            state = tx_state(chain, batch.tx_hash)
            legacy = tracked.follow is Follow.NONE  # sent before transactions were stored
            if legacy and state.status is TxStatus.WAITING and not stuck(batch):
                return
            if state.status is TxStatus.FAILED:  # mined with status 0: counted, not resent forever
                exc = explain_failed_tx(chain, batch.tx_hash)
                stale = isinstance(exc, StaleHeadsRoot) and batch.heads_root is not None
                batch.status = BatchStatus.PENDING
                self._note_failure(session, batch, exc, report, final=stale)
                return
            if legacy and state.status in (TxStatus.WAITING, TxStatus.UNKNOWN):
                self._note_tx_lost()  # stuck behind a nonce gap, or dropped by the chain
            reason = f"transaction {batch.tx_hash} {state.status.value}; sending again"
        else:
            reason = "root not on chain; sending again"
        logger.warning("batch %s: %s", batch.id, reason)
        batch.status = BatchStatus.PENDING
        batch.last_error = reason
        session.add(batch)
        session.commit()
        report.requeued += 1

    # ----------------------------------------------------------------- chain identity

    def _note_tx_lost(self) -> None:
        """A transaction we sent vanished (reorg, reset, drop) or is stuck in the pool.

        The client's nonce counter is then ahead of the chain, and anything it sends would
        wait behind the gap for ever. The pass stops sending, and the runtime builds a fresh
        client (which re-reads the account's nonce) for the next one.
        """
        self._tx_lost.set()
        if self._on_tx_lost is not None:
            self._on_tx_lost()

    def _notice_registry_change(self, chain: ChainClient) -> None:
        """A new client, chain or contract means cached facts may be stale: drop them all."""
        identity = (id(chain), chain.chain_id, str(chain.contract_address))
        if self._seen_registry is not None and self._seen_registry != identity:
            logger.warning("chain client or registry changed; clearing cached chain facts")
            self.cache.clear()
            self._reconciler.request_full()
        self._seen_registry = identity
