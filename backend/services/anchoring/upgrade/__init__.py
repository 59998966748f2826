"""``sentrace upgrade``: a database and chain of the rules v1 release, brought to rules v2.

The previous release anchored with a v1 registry (``anchorBatch(root, count)``) and recorded
only v1 events. This release anchors with a v2 registry and, under rules v2, links each lot's
events so that none can be deleted unseen. The upgrade keeps every v1 verdict and extends that
protection to the v1 lots, in three steps, each safe to interrupt and to run again:

1. **Registry** (``registry``): on a v1 registry, deploy a v2 one under the anchoring sender
   lock, switch to it and keep the v1 one as a *retired* registry, remembered beside the
   runtime's record of its registry. Old anchors stay where they are: the verifier and
   reconcile read a batch's anchor on the registry that holds it (``anchorOf`` on the retired
   one), and a recall on either registry counts (``isRecalled`` on both).
2. **Batches** (``settle``): every batch stored before rules v2 is either anchored on a retired
   registry, and so part of the seal, or becomes a v2 batch that moves no head and is anchored
   on the new registry.
3. **Seal** (``seal``): each v1 lot with events anchored on the retired registry gets a head
   in the heads map, (the newest such event's hash, their number), through sealing batches
   that the normal anchoring pass anchors (``heads.sealed`` says exactly which events count).

What a sealed head proves, in the terms of docs/proof-rules.md: against the heads root the
chain holds, the lot's head leaf is ``head_leaf(lot_key, h, n)``; so exactly ``n`` v1 events
of the lot are anchored on retired registries, and the one hashing to ``h`` is among them.
Deleting any of them (the newest, or one alone in its batch) changes ``n`` or removes ``h``;
verification (``verification.sealed_heads``) names it. Events recorded after the upgrade are
not part of the seal: a v1 lot keeps recording rules v1 events.

Running it again changes nothing once done: the registry is v2, every old batch is settled,
and every v1 lot sealed. Nothing on chain is needed for the seal itself, only to anchor it; a
node that cannot be reached stops the upgrade before anything changes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from backend.chain import ChainClient, ChainUnavailable
from backend.config import Settings
from backend.hashing import HashingError
from backend.models import Batch, BatchStatus
from backend.services.anchoring.heads import HeadsHistoryError
from backend.services.anchoring.heads.sealed import sealing_batches
from backend.services.anchoring.lease import deployment_fence
from backend.services.anchoring.pass_lock import sender_lock
from backend.services.anchoring.service import AnchoringService
from backend.services.anchoring.upgrade.registry import registry_version, switch_registry
from backend.services.anchoring.upgrade.seal import seal_v1_lots
from backend.services.anchoring.upgrade.settle import UpgradeError, settle_v1_batches

__all__ = ["UpgradeError", "UpgradeReport", "registry_version", "run_upgrade"]

#: How long the upgrade waits for another process's anchoring pass to release the sender lock.
LOCK_WAIT_S = 30.0
#: Anchoring passes the upgrade runs at most to anchor its sealing batches.
MAX_PASSES = 20


@dataclass
class UpgradeReport:
    """What one run did; ``changed`` is False for a run that found nothing to do."""

    registry: str | None = None
    deployed: str | None = None
    retired: list[str] = field(default_factory=list)
    batches_found_on_retired: int = 0
    batches_adopted: int = 0
    lots_sealed: int = 0
    sealing_batches: list[dict[str, Any]] = field(default_factory=list)
    anchoring: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(
            self.deployed
            or self.batches_found_on_retired
            or self.batches_adopted
            or self.lots_sealed
            or any(self.anchoring.values())
        )

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "changed": self.changed}


def run_upgrade(
    *, engine: Engine, settings: Settings, chain: ChainClient, anchoring: AnchoringService
) -> UpgradeReport:
    """Upgrade the database and chain in place (see the module docstring)."""
    if not chain.is_connected():
        raise ChainUnavailable(f"chain node at {chain.endpoint} is not answering")
    remember = None if settings.uses_memory_chain else chain.remember_file(settings.data_dir)
    report = UpgradeReport()
    with _exclusive(engine), deployment_fence(engine, chain, settings.sender_lease_s):
        report.deployed = switch_registry(chain, remember_file=remember)
        settled = settle_v1_batches(engine, chain)
    report.batches_found_on_retired = settled.found_on_retired
    report.batches_adopted = settled.adopted
    try:
        sealed = seal_v1_lots(engine, lots_per_batch=settings.batch_max_events)
    except (HeadsHistoryError, HashingError) as exc:
        raise UpgradeError(f"v1 lots cannot be sealed: {exc}") from exc
    report.lots_sealed = sum(batch.event_count for batch in sealed)
    if report.changed or _open_sealing(engine):
        report.anchoring = _anchor(anchoring)
    report.registry = chain.contract_address
    report.retired = [old.contract_address for old in chain.legacy_registries]
    report.sealing_batches = _sealing_status(engine)
    return report


@contextmanager
def _exclusive(engine: Engine) -> Iterator[None]:
    """The anchoring sender lock, waited for up to :data:`LOCK_WAIT_S`: switching registries
    while another process sends would strand its transactions on the old one."""
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        with sender_lock(engine, threading.Lock(), wait=True) as held:
            if held:
                yield
                return
        if time.monotonic() >= deadline:
            raise UpgradeError(
                "another process is anchoring: stop the servers, then run the upgrade again"
            )
        time.sleep(0.5)


def _open_sealing(engine: Engine) -> bool:
    return any(row["status"] != BatchStatus.CONFIRMED for row in _sealing_status(engine))


def _sealing_status(engine: Engine) -> list[dict[str, Any]]:
    with Session(engine) as session:
        counts = dict(sealing_batches(session))
        found = session.exec(
            select(Batch.id, Batch.root, Batch.status).where(col(Batch.id).in_(list(counts)))
        ).all()
    return [
        {"id": i, "root": root, "lots": counts[i], "status": str(status)}
        for i, root, status in sorted(found)
    ]


def _anchor(anchoring: AnchoringService) -> dict[str, int]:
    """Anchor through the normal passes until they stop making progress (bounded).

    Failed batches get a fresh set of attempts first: every anchor this release tried on the
    v1 registry failed, and the sealing batches' heads roots follow theirs.
    """
    retried = anchoring.reconcile(full=True, wait=True, retry_failed=True).retried_failed
    totals: dict[str, int] = {"failed_retried": retried}
    for _ in range(MAX_PASSES):
        done = anchoring.run_once(wait=True)
        for key in ("built", "sent", "confirmed", "requeued", "failed"):
            totals[key] = totals.get(key, 0) + int(getattr(done, key))
        if not (done.more_work or done.sent or done.confirmed or done.requeued):
            break
    return totals
