"""``POST /api/v1/anchor``: the admin's "anchor now", with an optional reconcile."""

from __future__ import annotations

from fastapi.testclient import TestClient

from backend.runtime import Runtime
from tests.support.app import ADMIN, Actors
from tests.support.ledger_flow import activate_keys, batches, harvest, pending_events


def test_only_the_admin_may_anchor_now(supply_chain: Actors, client: TestClient) -> None:
    assert client.post("/api/v1/anchor").status_code == 401
    response = client.post("/api/v1/anchor", headers=supply_chain.headers["htx"])
    assert response.status_code == 403


def test_anchor_now_flushes_pending_events_and_reports_what_it_did(
    runtime: Runtime, supply_chain: Actors, client: TestClient
) -> None:
    activate_keys(runtime)
    harvest(supply_chain, "LO-1")
    runtime.settings.batch_max_delay_s = 3600  # nothing would be due without the flush

    response = client.post("/api/v1/anchor", headers=ADMIN)

    assert response.status_code == 200
    body = response.json()
    assert body["anchored"]["built"] == 1 and body["anchored"]["confirmed"] == 1
    assert body["anchored"]["outbox_confirmed"] == 1  # the harvest milestone
    assert body["reconcile"] is None
    assert (body["pending_events"], body["batches"]) == (0, {"confirmed": 1})
    assert pending_events(runtime.engine) == 0


def test_anchor_now_with_reconcile_checks_every_anchored_root_first(
    runtime: Runtime, supply_chain: Actors, client: TestClient
) -> None:
    harvest(supply_chain, "LO-2")
    client.post("/api/v1/anchor", headers=ADMIN)

    body = client.post("/api/v1/anchor?reconcile=true", headers=ADMIN).json()

    assert body["reconcile"]["full"] is True
    assert body["reconcile"]["checked"] == len(batches(runtime.engine)) == 1
    assert body["reconcile"]["requeued"] == [] and body["reconcile"]["refused"] == []
