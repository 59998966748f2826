"""Where a public read runs: on a read replica when one is configured and its answer could not
be an artefact of replication lag, else on the primary (see :mod:`backend.db_replicas`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlmodel import Session

from backend.db_replicas import read_on_replica
from backend.deps import request_session
from backend.runtime import Runtime
from backend.services.verification.results import Verification
from backend.services.verification.verdicts import Verdict

T = TypeVar("T")

#: Verdicts a replica behind the primary can still give honestly: lag hides the newest events
#: (pending at worst), it never invents a mismatch. Anything else is asked of the primary.
TRUSTED_ON_REPLICA = frozenset({Verdict.VERIFIED, Verdict.PENDING, Verdict.RECALLED})


def verdict_trusted(verification: Verification | None) -> bool:
    """Whether a replica's verification may be answered as it is."""
    return verification is not None and verification.verdict in TRUSTED_ON_REPLICA


def public_read(
    runtime: Runtime, work: Callable[[Session], T], *, trusted: Callable[[T], bool]
) -> T:
    """``work(session)`` on a replica if ``trusted`` accepts its outcome, else on the primary
    (in the request's usual session: committed at the end, a lost database a 503)."""

    def on_primary(again: Callable[[Session], T]) -> T:
        with request_session(runtime) as session:
            return again(session)

    return read_on_replica(runtime.replicas, work, trusted=trusted, on_primary=on_primary)
