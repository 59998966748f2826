"""Who signs the statements a write makes: the server, nobody yet, or the signatures given.

A write runs under one of three modes, set by the layer that received it (a context variable,
so the services in between need no extra parameter):

- ``CUSTODIAL``: the server signs with the organisation's custodial key;
- ``COLLECT``: nothing is signed; each statement is recorded so that the caller can show the
  client what to sign (the write's transaction is then rolled back and kept as a draft);
- ``APPLY``: the client's signatures, one per statement in order, are checked and stored.

Without a mode (a command, a test calling a service) a custodial organisation's statements are
signed by the server and any other organisation's write is refused: :class:`SignatureRequired`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from backend.hashing.eip712 import SigningDomain


class Mode(StrEnum):
    CUSTODIAL = "custodial"
    COLLECT = "collect"
    APPLY = "apply"


class ChainFacts(Protocol):
    """What signing needs from the chain: the registry's EIP-712 domain, a key's nonce."""

    def domain(self) -> SigningDomain: ...

    def nonce_of(self, address: str) -> int: ...


@dataclass(frozen=True)
class FixedChainFacts:
    """A domain known in advance and nonces from a mapping (a chain that is not running)."""

    signing_domain: SigningDomain
    nonces: dict[str, int] = field(default_factory=dict)

    def domain(self) -> SigningDomain:
        return self.signing_domain

    def nonce_of(self, address: str) -> int:
        return self.nonces.get(address, 0)


@dataclass
class SigningContext:
    """One write's mode, its chain, and (under APPLY) the draft's statements and signatures."""

    mode: Mode
    chain: ChainFacts
    expected: Sequence[dict[str, Any]] = ()
    signatures: Sequence[str] = ()
    statements: list[dict[str, Any]] = field(default_factory=list)
    #: CUSTODIAL: each organisation's unsealed account, opened once per write (a batch of 500
    #: events decrypts its key once, not 500 times).
    accounts: dict[int, Any] = field(default_factory=dict)


_current: ContextVar[SigningContext | None] = ContextVar("sentrace_signing", default=None)
_default_chain: list[ChainFacts] = []


@contextmanager
def signing(context: SigningContext) -> Iterator[SigningContext]:
    """Run the block under ``context`` (restored afterwards, also on error)."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def current() -> SigningContext | None:
    return _current.get()


def set_default_chain(chain: ChainFacts | None) -> None:
    """The chain used when a custodial statement is signed outside any mode (a process that
    runs services directly, e.g. a test world without a chain client); ``None`` clears it."""
    _default_chain.clear()
    if chain is not None:
        _default_chain.append(chain)


def default_chain() -> ChainFacts | None:
    return _default_chain[0] if _default_chain else None
