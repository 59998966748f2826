"""The sign-in throttle: wrong passwords slow the guesser down, never lock the owner out.

A hard lock-out after N failures lets anyone who knows a username lock its owner out. Instead
each subject that guesses gets an exponential backoff: after ``login_free_attempts`` wrong
passwords from one **client address**, each further one makes that address wait
``login_backoff_base_s`` × 2^k (capped at ``login_backoff_max_s``) before its next attempt.
An **account** gets the same treatment after ``login_account_free_attempts`` wrong passwords
from all addresses together, but each address counts toward it only up to
``login_free_attempts`` (tracked by a third counter, the address–account pair): guessing from
one address throttles that address alone, and only a spread of addresses slows the account.

A throttled attempt is refused before the password is checked, so it is no oracle and costs
no argon2 work. A subject that has guessed nothing wrong for :data:`FORGET_AFTER` starts
afresh; a right password clears the account's and the pair's counters, never the address's
(an attacker with an account of their own must not be able to wash their address clean).

Counters live in the database (``LoginThrottle``), so every app process sees the same ones.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from backend.config import Settings
from backend.models import LoginThrottle
from backend.timeutil import as_utc

#: A subject without a wrong password for this long is forgotten.
FORGET_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class Subjects:
    """The three counters one sign-in attempt touches."""

    address: str
    account: str
    pair: str

    @classmethod
    def of(cls, *, address: str, username: str) -> Subjects:
        return cls(
            address=_key("address", address),
            account=_key("account", username),
            pair=_key("pair", f"{username}\n{address}"),
        )


def _key(scope: str, subject: str) -> str:
    return hashlib.sha256(f"{scope}:{subject}".encode()).hexdigest()


def backoff(failures: int, *, free: int, settings: Settings) -> timedelta:
    """How long a subject with ``failures`` wrong passwords waits before the next attempt."""
    if failures < free:
        return timedelta(0)
    exponent = min(failures - free, 40)  # 2**40 s is far past any cap
    seconds = min(settings.login_backoff_base_s * 2**exponent, settings.login_backoff_max_s)
    return timedelta(seconds=seconds)


def blocked_until(session: Session, subjects: Subjects, *, now: datetime) -> datetime | None:
    """When the address or the account may try again, if either must wait now."""
    waits = []
    for key in (subjects.address, subjects.account):
        row = session.get(LoginThrottle, key)
        if row is not None and row.blocked_until is not None:
            until = as_utc(row.blocked_until)
            if until > now:
                waits.append(until)
    return max(waits) if waits else None


def record_failure(
    session: Session, subjects: Subjects, *, settings: Settings, now: datetime
) -> None:
    """Count one wrong password against the address, the pair and (within its share) the account."""
    free = settings.login_free_attempts
    _bump(session, subjects.address, free=free, settings=settings, now=now)
    pair = _bump(session, subjects.pair, free=free, settings=settings, now=now)
    if pair <= free:
        _bump(
            session,
            subjects.account,
            free=settings.login_account_free_attempts,
            settings=settings,
            now=now,
        )


def record_success(session: Session, subjects: Subjects) -> None:
    """The owner got in: forget the account's and this pair's failures (not the address's)."""
    for key in (subjects.account, subjects.pair):
        row = session.get(LoginThrottle, key)
        if row is not None:
            session.delete(row)
    session.flush()


def _bump(session: Session, key: str, *, free: int, settings: Settings, now: datetime) -> int:
    """Add one failure to ``key``'s row (made on first use) and set its wait; the new count."""
    row = session.get(LoginThrottle, key, with_for_update=True)
    if row is None:
        row = LoginThrottle(key_hash=key, failures=0, last_failure_at=now)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # another process made it first: count on theirs
            row = session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
            assert row is not None
    elif now - as_utc(row.last_failure_at) > FORGET_AFTER:
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    wait = backoff(row.failures, free=free, settings=settings)
    row.blocked_until = now + wait if wait else None
    session.add(row)
    session.flush()
    return row.failures
