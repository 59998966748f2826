"""Sign, store, then broadcast: every anchoring transaction is a row before it is a message.

A batch or an outbox action (the *owner*) gets one nonce for ever. Its transaction is signed,
stored in ``senttx`` with the owner, its nonce, raw bytes, hash and fees, committed under the
sender lease's fence (``lease.fence``), and only then broadcast. Whatever happens next (the
node times out after accepting it, the process dies, the database fails over) the next pass
finds the stored bytes and broadcasts them again: the same hash, never a second transaction.

What became of an owner's transaction (:meth:`TxBook.track`) is read from the chain, in this
order: the account's mined nonce (``latest``) first, then the receipts of every attempt at
the owner's nonce. An attempt with a receipt is the answer, whichever it is (replacements
race the original; a successful attempt at a nonce given up earlier counts too). With no
receipt, a mined nonce past the owner's means the nonce was used by a transaction that is
none of our attempts: only then is the owner *lost*, and only then
may it get a new nonce (a milestone is first looked for in the registry's logs). Reading the
nonce before the receipts matters: an attempt mined in between shows as mined, never as lost.

An attempt that waits longer than ``SENTRACE_TX_REPLACE_AFTER_S`` is replaced at its nonce,
both fees raised by at least 12.5% and at least to the market's (``tx_records.Fees.bumped``);
the replacement is stored like the original, and the original stays a valid answer.

A pass starts with :meth:`TxBook.flush`: the newest attempt of every open owner the node may
not hold (stored but never broadcast, or dropped from its pool) is broadcast again in nonce
order, and a gap below our waiting nonces that none of our stored transactions fills (a
development chain reset under us, a batch given up while its transaction left the pool) is
filled with empty self-transfers once two passes in a row saw it, so that nothing of ours
waits behind a nonce that will never come.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from backend.chain import ChainClient, ChainRejected
from backend.chain.sender import Transactable
from backend.chain.tx_records import Fees, SignedTx
from backend.chain.tx_state import TxStatus, tx_state
from backend.config import Settings
from backend.models import Batch, BatchStatus, ChainAction, SentTx
from backend.services.anchoring.lease import Lease, LeaseLost, acquire, fence, release, renew
from backend.timeutil import as_utc, utcnow

logger = logging.getLogger(__name__)

Owner = Batch | ChainAction
#: Empty self-transfers sent per pass to fill a nonce gap (a reset chain), at most.
MAX_FILLERS = 16
#: Nonce gaps the previous pass saw, per chain, signer and registry (filled when seen twice).
_SEEN_GAPS: dict[tuple[int, str, str], set[int]] = {}
OPEN = (BatchStatus.PENDING, BatchStatus.SENT)


class Follow(StrEnum):
    """Where an owner's transaction stands."""

    NONE = "none"  # nothing stored for it on the registry in use (sent before records)
    WAITING = "waiting"  # its nonce is unused: in the pool (broadcast again, replaced if stuck)
    MINED = "mined"  # one of its attempts has a receipt (``succeeded`` tells which kind)
    LOST = "lost"  # its nonce was used by a transaction that is none of its attempts


@dataclass(frozen=True)
class Tracked:
    follow: Follow
    record: SentTx | None = None  # the mined attempt, else the newest one
    block_number: int | None = None
    succeeded: bool = False
    #: WAITING, but the node holds no attempt and refused the newest again: the owner waits
    #: (back-off) and sends these bytes again, never a new nonce.
    refused: ChainRejected | None = None

    @property
    def coming(self) -> bool:
        """Its transaction is mined or in the node's pool: nothing to send now."""
        if self.follow is Follow.WAITING:
            return self.refused is None
        return self.follow is Follow.MINED and self.succeeded


def _name(owner: Owner) -> str:
    return f"batch {owner.id}" if isinstance(owner, Batch) else f"chain action {owner.id}"


def _fees(record: SentTx) -> Fees:
    return Fees(record.max_fee_per_gas, record.max_priority_fee_per_gas, record.gas_price)


class TxBook:
    """The stored transactions of one signer on one registry, worked under one lease."""

    def __init__(
        self, engine: Engine, chain: ChainClient, lease: Lease, *, replace_after_s: float
    ) -> None:
        self.engine = engine
        self.chain = chain
        self.lease = lease
        self.replace_after_s = replace_after_s
        self._next_nonce = 0  # the next nonce this pass hands out, at least

    # ----------------------------------------------------------------------- records

    def _registry(self) -> str:
        return str(self.chain.contract_address).lower()

    def _ours(self, owner: Owner | None = None) -> SelectOfScalar[SentTx]:
        statement = (
            select(SentTx)
            .where(col(SentTx.chain_id) == self.chain.chain_id)
            .where(col(SentTx.signer) == self.chain.signer)
            .where(col(SentTx.to_address) == self._registry())
        )
        if isinstance(owner, Batch):
            statement = statement.where(col(SentTx.batch_id) == owner.id)
        elif isinstance(owner, ChainAction):
            statement = statement.where(col(SentTx.action_id) == owner.id)
        return statement.order_by(col(SentTx.id))

    def records(self, session: Session, owner: Owner) -> list[SentTx]:
        """Every transaction stored for the owner on the registry in use, oldest first."""
        return list(session.exec(self._ours(owner)).all())

    def _store(self, session: Session, owner: Owner, signed: SignedTx) -> SentTx:
        record = SentTx(
            chain_id=self.chain.chain_id,
            signer=self.chain.signer,
            to_address=(signed.to or "").lower() or None,
            nonce=signed.nonce,
            batch_id=owner.id if isinstance(owner, Batch) else None,
            action_id=owner.id if isinstance(owner, ChainAction) else None,
            tx_hash=signed.tx_hash,
            raw=signed.raw,
            max_fee_per_gas=signed.fees.max_fee_per_gas,
            max_priority_fee_per_gas=signed.fees.max_priority_fee_per_gas,
            gas_price=signed.fees.gas_price,
            lease_token=self.lease.token,
        )
        fence(session, self.lease)  # the same transaction as the record: see lease.py
        session.add(record)
        session.commit()
        self._next_nonce = max(self._next_nonce, signed.nonce + 1)
        return record

    def _broadcast(self, session: Session, record: SentTx) -> None:
        """Broadcast stored bytes under a live lease; a refusal raises ChainRejected (the bytes
        stay stored, and go out again on the next try)."""
        renew(self.engine, self.lease)  # a pass that lost its lease sends nothing more
        outcome = self.chain.broadcast(record.raw)
        record.broadcast_at = utcnow()
        session.add(record)
        session.commit()
        logger.debug("broadcast %s nonce %d: %s", record.tx_hash, record.nonce, outcome.value)

    def _try_broadcast(self, session: Session, record: SentTx) -> ChainRejected | None:
        try:
            self._broadcast(session, record)
        except ChainRejected as exc:
            logger.warning("%s (nonce %d) refused: %s", record.tx_hash, record.nonce, exc)
            return exc
        return None

    # ----------------------------------------------------------------------- sending

    def send(self, session: Session, owner: Owner, call: Transactable) -> SentTx:
        """Sign ``call`` at a new nonce, store it for ``owner`` (fenced), broadcast it.

        A pre-flight revert raises ChainReverted before anything is stored. After the record
        is committed, a refused broadcast raises ChainRejected and a node that does not answer
        ChainUnavailable: either way the stored bytes are what goes out next time.
        """
        nonce = max(self.chain.account_nonce("pending"), self._next_nonce)
        signed = self.chain.sign_call(call, nonce=nonce, fees=self.chain.market_fees())
        record = self._store(session, owner, signed)
        logger.info("nonce %d stored for %s as %s", nonce, _name(owner), signed.tx_hash)
        self._broadcast(session, record)
        return record

    # ---------------------------------------------------------------------- tracking

    def track(self, session: Session, owner: Owner) -> Tracked:
        """What became of the owner's transaction; broadcasts it again or replaces it when it
        is waiting (see the module docstring for why the mined nonce is read first)."""
        records = self.records(session, owner)
        if not records:
            return Tracked(Follow.NONE)
        newest = records[-1]
        nonce = newest.nonce  # attempts at older nonces were lost; their receipts still count
        mined_nonce = self.chain.account_nonce("latest")
        known = False
        for record in reversed(records):
            state, current = tx_state(self.chain, record.tx_hash), record.nonce == nonce
            if state.status is TxStatus.MINED or (current and state.status is TxStatus.FAILED):
                succeeded = state.status is TxStatus.MINED
                return Tracked(Follow.MINED, record, state.block_number, succeeded)
            known = known or (current and state.status is TxStatus.WAITING)
        if mined_nonce > nonce:
            logger.warning("nonce %d of %s was used by another transaction", nonce, _name(owner))
            return Tracked(Follow.LOST, newest)
        refused = None
        if self._waited(newest) > self.replace_after_s:
            newest, refused = self._replace(session, owner, newest)
        elif not known:  # stored but never broadcast, dropped from the pool, or withheld
            refused = self._try_broadcast(session, newest)
        return Tracked(Follow.WAITING, newest, refused=None if known else refused)

    def _waited(self, record: SentTx) -> float:
        return (utcnow() - as_utc(record.created_at)).total_seconds()

    def _replace(
        self, session: Session, owner: Owner, stuck: SentTx
    ) -> tuple[SentTx, ChainRejected | None]:
        """``stuck`` signed again at its nonce with both fees raised ≥ 12.5%, stored, sent."""
        fees = _fees(stuck).bumped(self.chain.market_fees())
        signed = self.chain.sign_replacement(stuck.raw, fees)
        record = self._store(session, owner, signed)
        logger.warning(
            "transaction %s waited %.0f s at nonce %d; replaced by %s (fees %s)",
            stuck.tx_hash, self._waited(stuck), stuck.nonce, record.tx_hash, fees,
        )  # fmt: skip
        return record, self._try_broadcast(session, record)

    # ---------------------------------------------------------------- start of a pass

    def flush(self) -> None:
        """Broadcast again what the node may not hold, in nonce order; fill nonce gaps."""
        with Session(self.engine, expire_on_commit=False) as session:
            mined_nonce = self.chain.account_nonce("latest")
            waiting = [r for r in self._open_newest(session) if r.nonce >= mined_nonce]
            for record in sorted(waiting, key=lambda r: r.nonce):
                if self._unknown(record):  # never broadcast (a crash), or dropped since
                    self._try_broadcast(session, record)
            taken = {r.nonce for r in waiting}
            if taken:
                self._next_nonce = max(self._next_nonce, max(taken) + 1)
                self._fill_gaps(taken)

    def _unknown(self, record: SentTx) -> bool:
        return tx_state(self.chain, record.tx_hash).status is TxStatus.UNKNOWN

    def _open_newest(self, session: Session) -> list[SentTx]:
        """The newest attempt of every owner still pending or sent (only their records are
        read: the table keeps every transaction ever sent)."""
        open_batches = select(Batch.id).where(col(Batch.status).in_(OPEN))
        open_actions = select(ChainAction.id).where(col(ChainAction.status).in_(OPEN))
        statement = self._ours().where(
            col(SentTx.batch_id).in_(open_batches) | col(SentTx.action_id).in_(open_actions)
        )
        newest: dict[tuple[int | None, int | None], SentTx] = {}
        for record in session.exec(statement).all():
            newest[(record.batch_id, record.action_id)] = record  # ordered by id: the last wins
        return list(newest.values())

    def _fill_gaps(self, taken: set[int]) -> None:
        """Fill the nonces below our waiting ones that nothing of ours will use, once two
        passes in a row saw them missing (a node behind a load balancer may lag one read)."""
        pending = self.chain.account_nonce("pending")
        gaps = {n for n in range(pending, max(taken)) if n not in taken}
        key = (self.chain.chain_id, self.chain.signer, self._registry())
        seen, _SEEN_GAPS[key] = _SEEN_GAPS.get(key, set()), gaps
        for nonce in sorted(gaps & seen)[:MAX_FILLERS]:
            signed = self.chain.sign_filler(nonce=nonce, fees=self.chain.market_fees())
            renew(self.engine, self.lease)
            logger.warning("nonce %d is missing below our waiting transactions; filling it", nonce)
            try:
                self.chain.broadcast(signed.raw)
            except ChainRejected as exc:
                logger.warning("nonce %d filler refused: %s", nonce, exc)
                return


@contextmanager
def sending_pass(
    engine: Engine, chain: ChainClient, settings: Settings, *, holder: str
) -> Iterator[TxBook | None]:
    """The sender lease for one pass, taken under the sender lock, and the book it sends
    through (None: another process created the lease row at the same moment). A
    :class:`LeaseLost` raised inside ends the pass quietly: it sends nothing more, and the
    lease's new holder carries on."""
    lease = acquire(engine, holder, settings.sender_lease_s, take_over=True)  # see acquire
    if lease is None:
        logger.info("another sender holds the sender lease; this pass sends nothing")
        yield None
        return
    try:
        yield TxBook(engine, chain, lease, replace_after_s=settings.tx_replace_after_s)
    except LeaseLost as exc:
        logger.warning("%s: this pass stops before its next send", exc)
    finally:
        release(engine, lease)
