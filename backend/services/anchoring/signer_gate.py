"""No batch is anchored while one of its signing keys is missing from the registry.

A signature is judged by the key's standing at the anchor's block (docs/proof-rules.md §12), so
the key's registration must be on chain before the anchor, or the events read as not signed by
their organisation for ever. Batching already holds back events of keys whose registration is not
confirmed; this gate covers what batching cannot see: a registration the chain has since
forgotten (a development node restarted from an older state dump, a reorg below it) while the
database still calls the key active. The batch then waits, and a full reconcile puts the
vanished registration back in the outbox (``reconcile._check_action``), which is sent before
batches in the next pass.
"""

from __future__ import annotations

import logging

from sqlmodel import Session, col, select

from backend.chain import ChainClient
from backend.hashing.eip712 import org_key
from backend.models import Batch, Event, Organisation, OrgKey

logger = logging.getLogger(__name__)


class SignerGate:
    """Asks the registry about each (organisation, key) once per pass; see the module docstring."""

    def __init__(self) -> None:
        self._chain: ChainClient | None = None
        self._seen: dict[tuple[str, str], bool] = {}
        self._reported: set[str] = set()  # missing keys a reconcile was already asked for
        self._news = False

    def begin(self, chain: ChainClient) -> None:
        """A new pass: the registry is asked afresh."""
        self._chain, self._seen = chain, {}

    def holds(self, session: Session, batch: Batch) -> bool:
        """Whether ``batch`` must wait (noted in its ``last_error``, committed)."""
        missing = self.missing(session, batch)
        if not missing:
            return False
        self._news = self._news or not self._reported.issuperset(missing)
        self._reported.update(missing)
        batch.last_error = waiting_note(missing)  # later batches wait behind this one
        logger.warning("batch %s: %s", batch.id, batch.last_error)
        session.add(batch)
        session.commit()
        return True

    def take_news(self) -> bool:
        """Whether a key was found missing that no reconcile has been asked about yet (once)."""
        news, self._news = self._news, False
        return news

    def missing(self, session: Session, batch: Batch) -> list[str]:
        """Addresses of the batch's signing keys that the registry does not show registered."""
        pairs = session.exec(
            select(Organisation.slug, OrgKey.address)
            .select_from(Event)
            .join(OrgKey, col(OrgKey.address) == col(Event.signer))
            .join(Organisation, col(Organisation.id) == col(OrgKey.org_id))
            .where(col(Event.batch_id) == batch.id)
            .distinct()
        ).all()
        return sorted(address for slug, address in pairs if not self._registered(slug, address))

    def _registered(self, slug: str, address: str) -> bool:
        known = self._seen.get((slug, address))
        if known is None:
            assert self._chain is not None, "the gate is asked inside a pass"
            known = self._chain.signer_of(org_key(slug), address).since > 0
            self._seen[(slug, address)] = known
            if known:
                self._reported.discard(address)
        return known


def waiting_note(addresses: list[str]) -> str:
    """``Batch.last_error`` while the gate holds a batch (shown to operators, not consumers)."""
    keys = ", ".join(addresses)
    note = f"waiting for signing key(s) {keys} to be registered on chain again before anchoring"
    return note[:2000]
