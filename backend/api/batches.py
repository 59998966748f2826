"""Anchoring batches: look one up by root (public), and "anchor now" for the admin.

The public answer is what a verifier needs to find the anchor (root, status, count,
transaction, block, chain, contract, the chain's own view). Which events a batch holds (ids of
any lot's events), its send attempts and its last error text are operational: they go only to
the admin and regulators, who read every lot.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from sqlmodel import col, select

from backend.api.auth import authenticate, bearer_token
from backend.api.deps import (
    AdminOrg,
    ChainViewDep,
    PublicRateLimit,
    RuntimeDep,
    SessionDep,
    SettingsDep,
)
from backend.chain import ChainError
from backend.errors import NotFound, ServiceUnavailable
from backend.i18n.messages import message
from backend.models import Batch, Event
from backend.services.accounts import permissions
from backend.services.anchoring import batching
from backend.services.anchoring.reconcile import count_by_status
from backend.timeutil import as_utc

router = APIRouter(prefix="/api/v1", tags=["anchoring"])

UNKNOWN_BATCH = message("anchoring.unknown_batch")
CHAIN_DOWN = message("errors.chain_down")
ROOT_PATTERN = r"^0x[0-9a-fA-F]{64}$"


def _iso(value: Any) -> str | None:
    return as_utc(value).isoformat() if value is not None else None


@router.get("/batches/{root}", dependencies=[PublicRateLimit])
def get_batch(
    root: Annotated[str, Path(pattern=ROOT_PATTERN)],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    view: ChainViewDep,
) -> dict[str, Any]:
    """A batch by its Merkle root: status, transaction, block and the chain's view; with the
    admin's or a regulator's key also its events, send attempts and last error."""
    reader = authenticate(request, session, settings) if bearer_token(request) else None
    batch = session.exec(select(Batch).where(Batch.root == root.lower())).first()
    if batch is None:
        raise NotFound(UNKNOWN_BATCH)
    anchor = view.anchor(batch.root)
    answer: dict[str, Any] = {
        "root": batch.root,
        "status": str(batch.status),
        "event_count": batch.event_count,
        "tx_hash": batch.tx_hash,
        "block_number": batch.block_number,
        "chain_id": batch.chain_id,
        "contract_address": batch.contract_address,
        "confirmed_at": _iso(batch.confirmed_at),
        "on_chain": {
            "state": str(anchor.state),
            "block_number": anchor.block_number,
            "tx_hash": anchor.tx_hash,
            "event_count": anchor.event_count,
            "confirmations": anchor.confirmations,
        },
    }
    if reader is not None and permissions.reads_everything(reader):
        event_ids = session.exec(
            select(Event.id).where(Event.batch_id == batch.id).order_by(col(Event.seq))
        ).all()
        answer |= {
            "events": list(event_ids),
            "attempts": batch.attempts,
            "last_error": batch.last_error,
            "created_at": _iso(batch.created_at),
            "sent_at": _iso(batch.sent_at),
        }
    return answer


@router.post("/anchor")
def anchor_now(
    _admin: AdminOrg,
    runtime: RuntimeDep,
    reconcile: Annotated[
        bool, Query(description="check anchored roots against the chain first")
    ] = False,
) -> dict[str, Any]:
    """Admin: anchor whatever is pending now (ignoring the batch delay); optionally reconcile.

    Reconcile checks every confirmed batch against the chain, re-anchors vanished roots and
    gives failed batches and outbox actions a fresh set of attempts.
    """
    service = runtime.anchoring
    try:
        reconciled = (
            service.reconcile(full=True, wait=True, retry_failed=True) if reconcile else None
        )
        passes = [service.run_once(force=True, wait=True)]
        while passes[-1].more_work and len(passes) < 100:
            passes.append(service.run_once(force=True, wait=True))
    except ChainError as exc:
        raise ServiceUnavailable(f"{CHAIN_DOWN}: {exc}") from exc
    totals = {
        key: sum(int(getattr(p, key)) for p in passes)
        for key in (
            "built",
            "sent",
            "confirmed",
            "requeued",
            "failed",
            "outbox_sent",
            "outbox_confirmed",
        )
    }
    return {
        "anchored": totals,
        "reconcile": reconciled.as_dict() if reconciled else None,
        "pending_events": batching.pending_event_count(runtime.engine),
        "batches": count_by_status(runtime.engine),
    }
