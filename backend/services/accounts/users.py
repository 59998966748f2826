"""Operator accounts: creating them and checking a sign-in, under the sign-in throttle.

A person signs in on behalf of one organisation. Wrong passwords are slowed down per client
address and per account (``throttle``) rather than locking the account, so knowing someone's
username is not enough to keep them out. While a subject must wait, even the right password is
refused, so a guesser learns nothing. An unknown username costs the same argon2 work as a
known one, so timing does not reveal which exist.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from backend.config import Settings
from backend.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from backend.i18n.messages import message
from backend.models import Organisation, User
from backend.services.accounts import throttle
from backend.services.accounts.credentials import (
    hash_password,
    password_needs_rehash,
    verify_password,
)
from backend.services.accounts.sessions import close_user_sessions
from backend.timeutil import utcnow

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256

#: Verified against when the username is unknown, so both paths cost one argon2 check.
_DUMMY_HASH = hash_password("sentrace-no-such-user")


class InvalidCredentials(NotAuthenticated):
    """Unknown username or wrong password (deliberately not saying which)."""

    code = "invalid_credentials"


class LoginThrottled(NotAuthenticated):
    """Too many wrong passwords from this address or against this account; ``retry_at`` says
    when the next attempt is allowed."""

    code = "login_throttled"

    def __init__(self, message: str, *, retry_at: datetime) -> None:
        super().__init__(message)
        self.retry_at = retry_at


@dataclass(frozen=True)
class SignedIn:
    """A successful sign-in: the person and the organisation they act for."""

    user: User
    org: Organisation


def normalise_username(username: str) -> str:
    return unicodedata.normalize("NFC", username).strip().lower()


def validate_password(password: str) -> None:
    """Refuse passwords too short to resist guessing (or absurdly long)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            message("accounts.users.password_too_short", least=MIN_PASSWORD_LENGTH),
            field="password",
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(message("accounts.users.password_too_long"), field="password")


def create_user(
    session: Session,
    *,
    org_slug: str,
    username: str,
    password: str,
    display_name: str = "",
) -> User:
    """A new operator account for the organisation ``org_slug``."""
    name = normalise_username(username)
    if not USERNAME_PATTERN.match(name):
        raise InvalidInput(message("accounts.users.username_shape"), field="username")
    validate_password(password)
    org = session.exec(select(Organisation).where(Organisation.slug == org_slug)).first()
    if org is None:
        raise NotFound(message("accounts.users.no_such_org"), field="org")
    if session.exec(select(User).where(User.username == name)).first() is not None:
        raise Conflict(message("accounts.users.username_taken"), field="username")
    assert org.id is not None
    user = User(
        org_id=org.id,
        username=name,
        display_name=unicodedata.normalize("NFC", display_name).strip(),
        password_hash=hash_password(password),
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent create won the race
        raise Conflict(message("accounts.users.username_taken"), field="username") from exc
    return user


def set_password(session: Session, *, user: User, password: str) -> None:
    """Replace a password and end every session of the user at once."""
    validate_password(password)
    user.password_hash = hash_password(password)
    session.add(user)
    session.flush()
    assert user.id is not None
    close_user_sessions(session, user_id=user.id)


def change_password(session: Session, *, user: User, current: str, new: str) -> None:
    """A person's own password change: ``current`` must be right, ``new`` follows the same
    rules as at creation, and every session of the user ends (see :func:`set_password`)."""
    if not verify_password(current, user.password_hash):
        raise InvalidInput(
            message("accounts.users.wrong_current_password"), field="current_password"
        )
    set_password(session, user=user, password=new)


def confirm_current_password(
    session: Session,
    *,
    user: User,
    password: str,
    address: str,
    settings: Settings,
    now: datetime | None = None,
) -> None:
    """A signed-in person proving again that they know their password, before changing it.

    Counted like a sign-in, against the same address, account and pair: a session left open on
    someone else's screen must not become a way around the sign-in throttle for guessing the
    password. The caller commits even when this raises, or the count is lost.
    """
    moment = now or utcnow()
    subjects = throttle.Subjects.of(address=address, username=user.username)
    retry_at = throttle.blocked_until(session, subjects, now=moment)
    if retry_at is not None:
        raise LoginThrottled(message("accounts.users.throttled"), retry_at=retry_at)
    if not verify_password(password, user.password_hash):
        throttle.record_failure(session, subjects, settings=settings, now=moment)
        raise InvalidInput(
            message("accounts.users.wrong_current_password"), field="current_password"
        )


def authenticate(
    session: Session,
    *,
    username: str,
    password: str,
    address: str,
    settings: Settings,
    now: datetime | None = None,
) -> SignedIn:
    """The account behind ``username`` if ``password`` is right and nobody must wait.

    ``address`` is the client's address as the server sees it. Wrong passwords are counted
    (the caller's transaction must be committed even when this raises, or the count is lost).
    """
    moment = now or utcnow()
    name = normalise_username(username)
    subjects = throttle.Subjects.of(address=address, username=name)
    retry_at = throttle.blocked_until(session, subjects, now=moment)
    if retry_at is not None:
        raise LoginThrottled(message("accounts.users.throttled"), retry_at=retry_at)
    user = session.exec(select(User).where(User.username == name)).first()
    if user is None:
        verify_password(password, _DUMMY_HASH)
        throttle.record_failure(session, subjects, settings=settings, now=moment)
        raise InvalidCredentials(message("accounts.users.wrong_credentials"))
    if not verify_password(password, user.password_hash):
        throttle.record_failure(session, subjects, settings=settings, now=moment)
        raise InvalidCredentials(message("accounts.users.wrong_credentials"))
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    throttle.record_success(session, subjects)
    org = session.get(Organisation, user.org_id)
    assert org is not None  # foreign key
    return SignedIn(user=user, org=org)


def get_user_by_username(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == normalise_username(username))).first()


def users_of_org(session: Session, *, org_id: int) -> list[User]:
    return list(session.exec(select(User).where(User.org_id == org_id).order_by(User.username)))
