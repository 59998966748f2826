"""The anchoring worker facing a registry its admin paused: it waits, it never gives up.

A pause is an operator's emergency stop (docs/deploy.md, "Pausing the registry"): every write
reverts with ``EnforcedPause()`` until the admin unpauses. Nothing recorded meanwhile may be
lost or marked failed: events stay in their (open) batches, milestones in the outbox, and all
of them anchor once the registry is unpaused.
"""

from __future__ import annotations

import pytest
from eth_account import Account

from backend.chain.registry_admin import RegistryAdmin
from backend.config import DEMO_ANCHOR_PRIVATE_KEY, MEMORY_CHAIN
from backend.models import BatchStatus
from backend.runtime import Runtime
from backend.services.anchoring import backoff
from tests.support.app import Actors
from tests.support.ledger_flow import actions, anchor_everything, batches, events, harvest, note


@pytest.fixture(autouse=True)
def no_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every pass may send again (set before the runtime builds its back-off): eight passes
    are then eight refused sends, more than a reverting row is allowed before it fails."""
    monkeypatch.setattr(backoff, "BASE_S", 0.0)


def _admin(runtime: Runtime) -> RegistryAdmin:
    """The registry's admin: on this development chain the anchor key is admin and pauser too."""
    chain = runtime.chain
    assert chain is not None and chain.contract_address is not None
    admin = RegistryAdmin(
        chain.w3, Account.from_key(DEMO_ANCHOR_PRIVATE_KEY), endpoint=MEMORY_CHAIN
    )
    admin.attach(chain.contract_address)
    return admin


def test_a_paused_registry_keeps_every_event_until_it_is_unpaused(
    runtime: Runtime, supply_chain: Actors
) -> None:
    admin = _admin(runtime)
    admin.pause()
    assert admin.paused() is True
    harvest(supply_chain, "LO-PAUSE")
    note(supply_chain, "LO-PAUSE", "Ghi trong lúc tạm dừng")

    for _ in range(2 * backoff.MAX_REVERTS + 2):
        runtime.anchoring.run_once(force=True, wait=True)

    assert batches(runtime.engine), "the events were cut into a batch"
    assert all(b.status is not BatchStatus.FAILED for b in batches(runtime.engine))
    assert all(a.status is not BatchStatus.FAILED for a in actions(runtime.engine))
    assert all(b.status is not BatchStatus.CONFIRMED for b in batches(runtime.engine))
    assert len(events(runtime.engine, lot_code="LO-PAUSE")) == 2

    admin.unpause()
    anchor_everything(runtime)

    assert {b.status for b in batches(runtime.engine)} == {BatchStatus.CONFIRMED}
    assert {a.status for a in actions(runtime.engine)} == {BatchStatus.CONFIRMED}
    assert all(e.batch_id is not None for e in events(runtime.engine, lot_code="LO-PAUSE"))
