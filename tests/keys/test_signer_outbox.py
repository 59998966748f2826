"""Signing keys reach the chain through the outbox; signed events wait for their key; recalls
are relayed with the regulator's signature. In-process chain (eth-tester) on SQLite and
PostgreSQL, and once against a real anvil."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_utils import keccak
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.chain import ChainClient, ManagedAnvil
from backend.models import BatchStatus, ChainActionKind, KeyStatus, Organisation, OrgKey
from backend.runtime import Runtime
from backend.services.accounts.org_keys import org_key_of
from backend.services.anchoring.batching import build_batch
from tests.support.app import Actors
from tests.support.ledger_flow import (
    actions,
    anchor_everything,
    batches,
    events,
    harvest,
    pending_events,
    signer_actions,
)
from tests.support.node_app import app_on_node

RECALL_WITH_SIGNATURE = keccak(text="recallWithSignature(bytes32,bytes32,uint256,uint256,bytes)")[
    :4
]
KEYS = "/api/v1/orgs/{}/signing-keys"


@pytest.fixture
def runtime(chain_runtime: Runtime) -> Runtime:
    return chain_runtime


def _keys(runtime: Runtime) -> list[OrgKey]:
    with Session(runtime.engine) as session:
        return list(session.exec(select(OrgKey).order_by(OrgKey.id)).all())


def _keys_of(runtime: Runtime, slug: str) -> list[OrgKey]:
    with Session(runtime.engine) as session:
        org = session.exec(select(Organisation).where(Organisation.slug == slug)).one()
    return [k for k in _keys(runtime) if k.org_id == org.id]


def _chain(runtime: Runtime) -> ChainClient:
    return runtime.require_chain()


def test_a_key_is_active_once_its_signer_change_is_on_chain_and_its_events_wait_till_then(
    runtime: Runtime, supply_chain: Actors, client: TestClient
) -> None:
    harvest(supply_chain, "LO-1")
    (htx_key,) = _keys_of(runtime, "htx")
    (event,) = events(runtime.engine, lot_code="LO-1")
    assert event.signer == htx_key.address and htx_key.status == KeyStatus.PENDING
    assert _chain(runtime).signer_of(org_key_of("htx"), htx_key.address).since == 0

    # Not active yet: a batch leaves the signed event out, and nothing is lost.
    assert build_batch(runtime.engine, max_events=100, max_delay_s=0, force=True) is None
    assert pending_events(runtime.engine) == 1

    report = runtime.anchoring.run_once(force=True)  # signer changes first, then the batch

    assert report.built == 1 and pending_events(runtime.engine) == 0
    key = next(k for k in _keys(runtime) if k.address == htx_key.address)
    assert key.status == KeyStatus.ACTIVE and key.activated_at is not None
    record = _chain(runtime).signer_of(org_key_of("htx"), key.address)
    assert record.since > 0 and record.until == 0 and record.custody == 3
    changes = [a for a in signer_actions(runtime.engine) if a.signer == key.address]
    assert [(a.kind, a.status) for a in changes] == [
        (ChainActionKind.SET_SIGNER, BatchStatus.CONFIRMED)
    ]
    assert changes[0].signature and changes[0].nonce is not None and changes[0].deadline
    anchor_everything(runtime)
    assert client.get("/api/v1/lots/LO-1/verification").json()["verdict"] == "verified"


def test_revoking_a_key_records_its_end_on_chain(runtime: Runtime, supply_chain: Actors) -> None:
    anchor_everything(runtime)
    (key,) = _keys_of(runtime, "htx")
    answer = supply_chain.post(f"{KEYS.format('htx')}/{key.address}/revoke", "htx", None)
    assert answer["status"] == "revoked"

    anchor_everything(runtime)

    record = _chain(runtime).signer_of(org_key_of("htx"), key.address)
    assert record.since > 0 and record.until >= record.since
    revocation = [a for a in signer_actions(runtime.engine) if a.signer == key.address][-1]
    assert (revocation.active, revocation.status) == (False, BatchStatus.CONFIRMED)
    assert next(k for k in _keys(runtime) if k.id == key.id).status == KeyStatus.REVOKED


def test_a_key_not_recorded_yet_keeps_its_events_waiting(
    runtime: Runtime, supply_chain: Actors
) -> None:
    """A key whose change cannot be recorded stays pending, and so do its events."""
    harvest(supply_chain, "LO-2")
    anchor_everything(runtime)
    (key,) = _keys_of(runtime, "htx")
    with Session(runtime.engine) as session:  # as if its signer change were still on its way
        row = session.get(OrgKey, key.id)
        assert row is not None
        row.status = KeyStatus.PENDING.value
        session.add(row)
        session.commit()
    supply_chain.post(
        "/api/v1/lots/LO-2/events",
        "htx",
        {"type": "note", "occurred_at": "2026-05-02T08:00:00Z", "data": {"text": "x"}},
    )
    runtime.anchoring.run_once(force=True)
    assert pending_events(runtime.engine) == 1


def test_a_recall_is_relayed_with_the_regulator_s_signature(
    runtime: Runtime, supply_chain: Actors
) -> None:
    harvest(supply_chain, "LO-3")
    supply_chain.post("/api/v1/lots/LO-3/recall", "ql", {"reason": "Nghi nhiễm khuẩn"})

    anchor_everything(runtime)

    (recall,) = [a for a in actions(runtime.engine) if a.kind is ChainActionKind.RECALL]
    assert recall.status is BatchStatus.CONFIRMED and recall.tx_hash
    sent = _chain(runtime).w3.eth.get_transaction(recall.tx_hash)
    assert bytes(sent["input"])[:4] == RECALL_WITH_SIGNATURE
    assert sent["from"] != recall.signer  # the platform relays; the regulator signed
    assert _chain(runtime).is_recalled(bytes.fromhex(recall.lot_key[2:]))
    grants = [
        a for a in signer_actions(runtime.engine) if a.kind is ChainActionKind.GRANT_REGULATOR
    ]
    assert [g.signer for g in grants] == [recall.signer]


def test_on_anvil_a_custodial_key_is_recorded_and_its_events_verify(
    anvil_node: ManagedAnvil, tmp_path: Path
) -> None:
    with app_on_node(tmp_path, anvil_node.url) as (runtime, actors):
        harvest(actors, "LO-A")
        anchor_everything(runtime)
        (key,) = _keys(runtime)
        assert key.status == KeyStatus.ACTIVE
        assert runtime.require_chain().signer_of(org_key_of("htx"), key.address).since > 0
        body = actors.client.get("/api/v1/lots/LO-A/verification").json()
    assert body["verdict"] == "verified"


def test_a_batch_waits_while_the_chain_has_forgotten_its_signing_key(
    runtime: Runtime, supply_chain: Actors, client: TestClient
) -> None:
    """The database calls the key active, the chain lost its registration (a node restarted from
    an older state): the batch must not be anchored before the key is registered again, or its
    events would read as not signed by their organisation for ever."""
    tester = _chain(runtime).w3.provider.ethereum_tester  # type: ignore[attr-defined]
    before_any_key = tester.take_snapshot()
    harvest(supply_chain, "LO-1")
    anchor_everything(runtime)
    (key,) = _keys_of(runtime, "htx")
    assert key.status == KeyStatus.ACTIVE
    supply_chain.post(
        "/api/v1/lots/LO-1/events",
        "htx",
        {"type": "note", "occurred_at": "2026-05-02T08:00:00Z", "data": {"text": "sau"}},
    )
    tester.revert_to_snapshot(before_any_key)  # the registration and the first anchor are gone
    assert _chain(runtime).signer_of(org_key_of("htx"), key.address).since == 0

    runtime.anchoring.run_once(force=True)

    held = [b for b in batches(runtime.engine) if b.status is BatchStatus.PENDING]
    assert held and key.address in (held[-1].last_error or ""), held
    anchor_everything(runtime)
    assert _chain(runtime).signer_of(org_key_of("htx"), key.address).since > 0
    verdict = client.get("/api/v1/lots/LO-1/verification").json()
    assert verdict["verdict"] == "verified", verdict
