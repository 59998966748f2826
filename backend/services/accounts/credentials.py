"""Secrets at rest: API keys and operator passwords.

Two kinds of secret, two kinds of hash, on purpose:

- **API keys** are 256 bits from ``secrets``: nobody can guess or brute-force them, so a slow
  password hash would only cost CPU on every request without adding safety. A single SHA-256
  is enough to make a leaked database useless for calling the API, and it lets the key be
  found by an index. Keys are shown once and stored only as that digest.
- **Passwords** are chosen by people and short, so they get argon2id, which makes each guess
  against a leaked hash expensive.

Comparisons of secrets use :func:`hmac.compare_digest` so their timing says nothing about how
many leading characters matched.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

#: Marks a SenTrace key in logs, config files and secret scanners ("SenTrace key").
API_KEY_MARKER = "stk_"
#: Characters kept in clear (marker included) so the key's row is found without a scan.
API_KEY_PREFIX_LENGTH = 12
_API_KEY_RANDOM_BYTES = 32

_password_hasher = PasswordHasher()


def new_api_key() -> tuple[str, str, str]:
    """A fresh key as ``(key, prefix, digest)``: show ``key`` once, store the other two."""
    key = API_KEY_MARKER + secrets.token_urlsafe(_API_KEY_RANDOM_BYTES)
    return key, api_key_prefix(key), hash_api_key(key)


def api_key_prefix(key: str) -> str:
    """The clear-text head of a key, used to find its row (not a secret on its own)."""
    return key[:API_KEY_PREFIX_LENGTH]


def hash_api_key(key: str) -> str:
    """SHA-256 hex of the key (see the module docstring for why a fast hash is right)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def api_key_matches(key: str, stored_digest: str) -> bool:
    """Whether ``key`` hashes to ``stored_digest``, compared in constant time."""
    return hmac.compare_digest(hash_api_key(key), stored_digest)


def secrets_equal(given: str, expected: str) -> bool:
    """Constant-time equality of two secrets given as text (e.g. the admin bearer token)."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def hash_password(password: str) -> str:
    """An argon2id hash (salt and parameters included) for an operator password."""
    return _password_hasher.hash(password)


def verify_password(password: str, stored_hash: str) -> bool:
    """Whether ``password`` matches; a malformed stored hash counts as no match."""
    try:
        return _password_hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than the current ones."""
    return _password_hasher.check_needs_rehash(stored_hash)
