"""The sender lease: the fence that keeps a second sender out even when a lock lies.

``pass_lock`` keeps senders apart cheaply, but a lock can be lost without its holder noticing:
a PostgreSQL advisory lock dies with its connection (a failover, a proxy timeout) while the
process that took it goes on sending. So the right to send is also a row, ``senderlease``: a
holder, an expiry, and a token that grows by one on every acquisition. A pass acquires the
lease before it sends (:func:`acquire`), and every send record is written in the same database
transaction as :func:`fence`, an ``UPDATE`` that only matches while the token is still the one
the pass acquired. A pass whose lease was taken over (it expired while the pass stalled, and
another process acquired it) finds no row to update, raises :class:`LeaseLost` and sends
nothing more; the new holder's token is higher, so nothing of the old pass is written after it.

On PostgreSQL the fence's ``UPDATE`` row lock also orders it against a concurrent acquisition:
whichever commits second sees the other's row. On SQLite every write locks the database.
Expiry times are the processes' clocks: a clock far ahead takes over early, which the token
still fences.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from backend.chain import ChainUnavailable
from backend.chain.sender import ChainSender
from backend.models import SenderLease
from backend.timeutil import as_utc, utcnow

logger = logging.getLogger(__name__)

#: The one lease of the anchoring sender (batches, milestones, recalls, deployments).
SENDER = "anchoring"


class LeaseLost(Exception):
    """The lease this pass sends under was taken over (or released): stop before sending."""


def new_holder() -> str:
    """A holder id unique to this process and this call: host, process id, random tail."""
    return f"{socket.gethostname()[:120]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class Lease:
    """A lease as acquired: who, under which fencing token, renewed for how long."""

    holder: str
    token: int
    ttl_s: float
    name: str = SENDER


def _lock_row(session: Session, name: str) -> None:
    """Take the row's write lock before reading it (PostgreSQL: the row; SQLite: the file),
    so that reading and acquiring are one step against a concurrent acquisition or renewal."""
    session.execute(
        update(SenderLease).where(col(SenderLease.name) == name).values(token=SenderLease.token)  # type: ignore[arg-type]
    )


def acquire(
    engine: Engine, holder: str, ttl_s: float, *, take_over: bool = False, name: str = SENDER
) -> Lease | None:
    """The lease for ``holder`` under a new token, or None while another holder's is live.

    ``take_over`` takes a live lease too: for a caller holding the sender lock (``pass_lock``),
    which dies with its process, so a lease still live under it belongs to a sender that
    crashed or lost its lock. Taking it over is safe because of the fence (the old holder's
    next send record finds a newer token), and a restarted process need not wait for expiry.
    """
    with Session(engine) as session:
        _lock_row(session, name)
        row = session.get(SenderLease, name, populate_existing=True)
        now = utcnow()
        expires = now + timedelta(seconds=ttl_s)
        if row is None:
            row = SenderLease(name=name, holder=holder, token=1, expires_at=expires)
        else:
            live = row.holder != holder and as_utc(row.expires_at) > now
            if live and not take_over:
                session.rollback()
                return None
            if live:
                logger.warning("sender lease of %s taken over by %s", row.holder, holder)
            row.token, row.holder, row.expires_at = row.token + 1, holder, expires
        session.add(row)
        token = row.token
        try:
            session.commit()
        except IntegrityError:  # another process created the row first
            return None
    return Lease(holder=holder, token=token, ttl_s=ttl_s, name=name)


def fence(session: Session, lease: Lease) -> None:
    """Inside the caller's transaction: renew ``lease`` if its token is still the row's, else
    raise LeaseLost. Commit the send record in this same transaction."""
    result = session.execute(
        update(SenderLease)
        .where(col(SenderLease.name) == lease.name)
        .where(col(SenderLease.holder) == lease.holder)
        .where(col(SenderLease.token) == lease.token)
        .values(expires_at=utcnow() + timedelta(seconds=lease.ttl_s))
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise LeaseLost(f"sender lease token {lease.token} of {lease.holder} is no longer held")


def renew(engine: Engine, lease: Lease) -> None:
    """Renew ``lease`` now (its own transaction); raises LeaseLost when it was taken over."""
    with Session(engine) as session:
        fence(session, lease)
        session.commit()


def release(engine: Engine, lease: Lease) -> None:
    """Let the next sender acquire at once (the token stays: it only ever grows)."""
    with Session(engine) as session:
        session.execute(
            update(SenderLease)
            .where(col(SenderLease.name) == lease.name)
            .where(col(SenderLease.holder) == lease.holder)
            .where(col(SenderLease.token) == lease.token)
            .values(expires_at=utcnow())
        )
        session.commit()


class DeployFence:
    """``ChainSender.fence`` for a registry deployment: the lease is acquired (or renewed)
    right before the deployment is broadcast, so it never goes out beside a sending pass; a
    live lease of another holder stops it (ChainUnavailable: the caller tries again later).
    :meth:`release` lets the next pass send at once."""

    def __init__(self, engine: Engine, ttl_s: float) -> None:
        self.engine = engine
        self.ttl_s = ttl_s
        self.lease: Lease | None = None

    def __call__(self) -> None:
        if self.lease is not None:
            try:
                renew(self.engine, self.lease)
                return
            except LeaseLost:
                self.lease = None
        self.lease = acquire(self.engine, new_holder(), self.ttl_s)
        if self.lease is None:
            raise ChainUnavailable(
                "another process is sending (it holds the sender lease); deployment postponed"
            )

    def release(self) -> None:
        if self.lease is not None:
            release(self.engine, self.lease)
            self.lease = None


@contextmanager
def deployment_fence(engine: Engine, chain: ChainSender, ttl_s: float) -> Iterator[None]:
    """Deployments by ``chain`` inside the block go out under the sender lease (DeployFence)."""
    chain.fence = fence = DeployFence(engine, ttl_s)
    try:
        yield
    finally:
        chain.fence = None
        fence.release()
