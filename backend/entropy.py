"""Where a write's randomness and clock come from: the system, or a draft's seed.

A signed write is built twice: once to show the client what to sign (a draft), once more when
the signatures come back. Both runs must build the same documents, so inside a draft the event
ids, commitment salts and "now" are derived from the draft's 32-byte seed and pinned time
instead of the operating system. Outside a draft nothing changes: fresh random values and the
real clock. The switch is a context variable, so the code that asks for an id, a salt or the
time is the same in both cases and never learns which one it got.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass
class Seeded:
    """Deterministic values for one run of a draft: one counter per kind of value."""

    seed: bytes
    pinned_now: datetime
    _counters: dict[str, int] = field(default_factory=dict)

    def take(self, label: str, size: int) -> bytes:
        """The next ``size`` bytes of the ``label`` stream (sha256 of seed, label, counter)."""
        index = self._counters.get(label, 0)
        self._counters[label] = index + 1
        out = b""
        block = 0
        while len(out) < size:
            material = b"%s|%s|%d|%d" % (self.seed, label.encode(), index, block)
            out += hashlib.sha256(material).digest()
            block += 1
        return out[:size]


_current: ContextVar[Seeded | None] = ContextVar("sentrace_entropy", default=None)


@contextmanager
def seeded(seed: bytes, pinned_now: datetime) -> Iterator[Seeded]:
    """Within the block, ids, salts and "now" come from ``seed`` and ``pinned_now`` (a naive
    time, as SQLite hands one back, is taken as UTC)."""
    aware = pinned_now.replace(tzinfo=UTC) if pinned_now.tzinfo is None else pinned_now
    source = Seeded(seed=seed, pinned_now=aware.astimezone(UTC))
    token = _current.set(source)
    try:
        yield source
    finally:
        _current.reset(token)


def random_bytes(label: str, size: int) -> bytes:
    """``size`` secure random bytes, or the seeded stream ``label`` inside a draft."""
    source = _current.get()
    return secrets.token_bytes(size) if source is None else source.take(label, size)


def new_uuid() -> str:
    """A version-4 UUID string (seeded inside a draft)."""
    return str(uuid.UUID(bytes=random_bytes("uuid", 16), version=4))


def now() -> datetime:
    """The real time in UTC, or the draft's pinned time."""
    source = _current.get()
    return datetime.now(UTC) if source is None else source.pinned_now


def real_now() -> datetime:
    """The real time in UTC even inside a draft (for a draft's own expiry)."""
    return datetime.now(UTC)
