"""Custodial signing keys at rest: AES-256-GCM under a key derived from a secret kept elsewhere.

The secret is ``SENTRACE_KEY_ENCRYPTION_SECRET``; outside production a secret kept in the data
folder (created once, mode 0600) stands in, as for the session secret. Production refuses to
encrypt or decrypt without the configured secret: a key sealed under a file that a redeploy
loses would be a key lost.

The AES key is HKDF-SHA256 of the secret (the secret is long and random; no password
stretching is needed), and every sealed key binds its address as associated data, so a sealed
key copied onto another row does not open. Layout: version byte ‖ 12-byte nonce ‖ ciphertext
‖ 16-byte tag. Neither the secret, the derived key nor a private key is ever logged.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from functools import lru_cache
from pathlib import Path

from Crypto.Cipher import AES  # pycryptodome, installed with eth-account (eth-keyfile)

from backend.config import Environment, Settings
from backend.errors import ServiceUnavailable
from backend.i18n.messages import message

logger = logging.getLogger(__name__)

_SECRET_FILE = "key_encryption_secret"  # noqa: S105 (a file name, not a secret)
_VERSION = b"\x01"
_SALT = b"sentrace/custodial-key/v1"
_INFO = b"aes-256-gcm"
_NONCE_BYTES = 12
_TAG_BYTES = 16


class KeyVaultUnavailable(ServiceUnavailable):
    """No secret to seal or open custodial keys with (production without the setting)."""


class KeyUnsealFailed(ServiceUnavailable):
    """A sealed key does not open: the secret changed, or the row was altered."""


@lru_cache(maxsize=8)
def _hkdf(secret: bytes, *, length: int = 32) -> bytes:
    """HKDF-SHA256 (RFC 5869) of ``secret`` with this module's salt and info (remembered: a
    pure function, and a process holds its secret anyway)."""
    prk = hmac.new(_SALT, secret, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + _INFO + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def _file_secret(settings: Settings) -> str:
    path = Path(settings.data_dir) / _SECRET_FILE
    try:
        found = os.stat(path)
    except FileNotFoundError:
        pass
    else:
        return _secret_as_of(str(path), found.st_ino, found.st_size, found.st_mtime_ns)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use its secret
        return path.read_text(encoding="ascii").strip()
    candidate = secrets.token_hex(32)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(candidate)
    logger.info("created a key encryption secret at %s", path)
    return candidate


@lru_cache(maxsize=8)
def _secret_as_of(path: str, inode: int, size: int, mtime_ns: int) -> str:
    """The secret file's text, read again only when the file changes (inode, size, time):
    every custodial write asks for it."""
    return Path(path).read_text(encoding="ascii").strip()


def encryption_key(settings: Settings) -> bytes:
    """The AES key custodial keys are sealed with; raises KeyVaultUnavailable in production
    without ``SENTRACE_KEY_ENCRYPTION_SECRET``."""
    if settings.key_encryption_secret is not None:
        secret = settings.key_encryption_secret.get_secret_value()
    elif settings.env is Environment.PRODUCTION:
        raise KeyVaultUnavailable(message("keys.vault_secret_missing"))
    else:
        secret = _file_secret(settings)
    return _hkdf(secret.encode("utf-8"))


def seal(private_key: bytes, *, address: str, settings: Settings) -> bytes:
    """``private_key`` encrypted for the row of ``address``."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    cipher = AES.new(encryption_key(settings), AES.MODE_GCM, nonce=nonce)
    cipher.update(address.lower().encode("ascii"))
    ciphertext, tag = cipher.encrypt_and_digest(private_key)
    return _VERSION + nonce + ciphertext + tag


def unseal(sealed: bytes, *, address: str, settings: Settings) -> bytes:
    """The private key sealed for ``address``; KeyUnsealFailed when it does not open."""
    return unseal_with(sealed, address=address, aes_key=encryption_key(settings))


def unseal_with(sealed: bytes, *, address: str, aes_key: bytes) -> bytes:
    """:func:`unseal` under an AES key already derived (:func:`encryption_key`)."""
    if len(sealed) <= 1 + _NONCE_BYTES + _TAG_BYTES or sealed[:1] != _VERSION:
        raise KeyUnsealFailed(message("keys.unseal_failed"))
    nonce = sealed[1 : 1 + _NONCE_BYTES]
    ciphertext, tag = sealed[1 + _NONCE_BYTES : -_TAG_BYTES], sealed[-_TAG_BYTES:]
    cipher = AES.new(aes_key, AES.MODE_GCM, nonce=nonce)
    cipher.update(address.lower().encode("ascii"))
    try:
        return cipher.decrypt_and_verify(ciphertext, tag)
    except ValueError:  # wrong secret or altered bytes; say which key, never the bytes
        raise KeyUnsealFailed(message("keys.unseal_failed")) from None
