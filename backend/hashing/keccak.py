"""Keccak-256 (Ethereum's, not NIST SHA3-256) through the fastest backend installed.

Every tree node and leaf costs one or two Keccak calls, so the backend matters: safe-pysha3's
``keccak_256`` takes about 0.7 µs for 64 bytes where ``eth_hash.auto`` (pycryptodome behind a
dispatch layer) takes about 5 µs. pycryptodome is the fallback; it is always present because
web3 depends on it. A known-answer check at import refuses a module that computes anything else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class _Digest(Protocol):
    def digest(self) -> bytes: ...


KeccakFactory = Callable[[bytes], _Digest]

try:
    from sha3 import keccak_256 as _pysha3_keccak_256  # safe-pysha3
except ImportError:  # pragma: no cover - depends on the installed packages
    _pysha3_keccak_256 = None


def _pycryptodome_factory() -> KeccakFactory:
    from Crypto.Hash import keccak as _pycryptodome_keccak

    def new(data: bytes) -> _Digest:
        return _pycryptodome_keccak.new(data=data, digest_bits=256)

    return new


if _pysha3_keccak_256 is not None:
    new_keccak: KeccakFactory = _pysha3_keccak_256
    BACKEND = "safe-pysha3"
else:  # pragma: no cover - depends on the installed packages
    new_keccak = _pycryptodome_factory()
    BACKEND = "pycryptodome"

_EMPTY_KECCAK = bytes.fromhex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
if new_keccak(b"").digest() != _EMPTY_KECCAK:  # pragma: no cover - a wrong `sha3` module
    new_keccak = _pycryptodome_factory()
    BACKEND = "pycryptodome"


def keccak(data: bytes) -> bytes:
    """Keccak-256 digest of ``data`` (32 bytes), as Solidity's ``keccak256``."""
    return new_keccak(data).digest()
