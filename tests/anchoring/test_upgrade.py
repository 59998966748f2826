"""``sentrace upgrade`` on a database and chain of the previous release (proof rules v1).

The previous release is rebuilt for real (tests/anchoring/upgrade_support.py): a database at
revision 0002, a TraceRegistryV1 deployed from the committed legacy artifact, v1 events
anchored with v1's ``anchorBatch(root, count)``. Then the new release starts on it (its
start-up migration runs) and the upgrade runs. Lots, each event of a lot in its own batch
unless said otherwise:

* LO-A: three events, each alone in its batch, and a fourth still pending at the upgrade;
* LO-B: two events in one batch shared with LO-C's only event;
* LO-R: one event, recalled on the v1 registry only (not in the database);
* LO-S: one event whose batch the previous release sent but never saw confirmed;
* LO-P: one event whose batch was stored but never sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from backend.app import create_app
from backend.chain import ChainClient
from backend.chain.providers import fund_from_tester, memory_web3
from backend.hashing import from_hex, lot_key
from backend.models import Batch, BatchStatus, HeadsNode
from backend.runtime import Runtime
from backend.services.anchoring.heads import (
    Break,
    audit_heads,
    head_proof,
    replay_heads,
    sealing_batches,
)
from backend.services.anchoring.upgrade import UpgradeReport, registry_version, run_upgrade
from backend.services.verification.chain_view import AnchorState
from backend.services.verification.engine import verify_lot
from tests.anchoring.upgrade_support import PreviousRelease, database_at_0002, deploy_v1
from tests.support.app import Actors, make_settings
from tests.support.ledger_flow import anchor_everything, events, execute, harvest, note

V1_LOTS = ("LO-A", "LO-B", "LO-C", "LO-R", "LO-S", "LO-P")


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.slow])]
)
def old_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of its own: the previous release's schema is built from nothing."""
    if request.param == "sqlite":
        return f"sqlite:///{(tmp_path / 'previous.db').as_posix()}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@dataclass
class World:
    """The previous release's world, once the new release has started on it."""

    runtime: Runtime
    previous: PreviousRelease
    v1_address: str
    ids: dict[str, list[str]] = field(default_factory=dict)  # lot → event ids, oldest first

    def upgrade(self) -> UpgradeReport:
        runtime = self.runtime
        return run_upgrade(
            engine=runtime.engine,
            settings=runtime.settings,
            chain=runtime.require_chain(),
            anchoring=runtime.anchoring,
        )

    def verify(self, code: str) -> dict[str, object]:
        with Session(self.runtime.engine) as session:
            result = verify_lot(session, code=code, view=self.runtime.chain_view())
        assert result is not None
        return result.as_json()

    def verdicts(self) -> dict[str, str]:
        return {code: str(self.verify(code)["verdict"]) for code in V1_LOTS}


def _previous_release(previous: PreviousRelease) -> dict[str, list[str]]:
    ids: dict[str, list[str]] = {code: [] for code in V1_LOTS}
    for code in V1_LOTS:
        previous.lot(code)
    for text in ("Thu hoạch", "Phân loại"):
        ids["LO-A"].append(previous.event("LO-A", text))
        previous.batch()
    ids["LO-B"] += [previous.event("LO-B", "Đóng gói"), previous.event("LO-B", "Vận chuyển")]
    ids["LO-C"].append(previous.event("LO-C", "Thu hoạch"))
    previous.batch()
    ids["LO-A"].append(previous.event("LO-A", "Đóng gói"))
    previous.batch()
    ids["LO-R"].append(previous.event("LO-R", "Thu hoạch"))
    previous.batch()
    previous.recall_on_chain("LO-R")
    ids["LO-S"].append(previous.event("LO-S", "Thu hoạch"))
    previous.batch(status="SENT")
    ids["LO-P"].append(previous.event("LO-P", "Thu hoạch"))
    previous.batch(anchor=False)
    ids["LO-A"].append(previous.event("LO-A", "Bán lẻ"))  # still pending at the upgrade
    return ids


@pytest.fixture
def world(old_database: str, tmp_path: Path) -> Iterator[World]:
    """The previous release's data and chain, with the new release started on them."""
    w3 = memory_web3()
    registry = deploy_v1(w3)
    engine = database_at_0002(old_database)
    previous = PreviousRelease(engine, registry)
    ids = _previous_release(previous)
    account = Account.create()
    fund_from_tester(w3, account.address)
    client = ChainClient(w3, account, endpoint="memory", poll_interval=0.01)
    client.attach(registry.address)
    settings = make_settings(tmp_path / "data", old_database, event_schema=2)
    runtime = Runtime.start(settings, chain=client, start_worker=False)  # migrates to head
    try:
        yield World(runtime, previous, registry.address, ids)
    finally:
        runtime.close()
        engine.dispose()


@pytest.fixture
def upgraded(world: World) -> World:
    report = world.upgrade()
    assert report.deployed is not None and report.retired == [world.v1_address]
    return world


def _roots(world: World, code: str) -> list[str]:
    batches = {b.id: b.root for b in _batches(world)}
    return [batches[e.batch_id] for e in events(world.runtime.engine, lot_code=code) if e.batch_id]


def _batches(world: World) -> list[Batch]:
    with Session(world.runtime.engine) as session:
        return list(session.exec(select(Batch).order_by(col(Batch.id))).all())


def test_the_previous_release_s_registry_is_told_apart_from_a_v2_one(world: World) -> None:
    assert registry_version(world.runtime.require_chain()) == 1
    world.upgrade()
    assert registry_version(world.runtime.require_chain()) == 2


def test_v1_lots_keep_their_verdicts_and_old_anchors_are_read_on_the_retired_registry(
    upgraded: World,
) -> None:
    runtime = upgraded.runtime
    assert runtime.require_chain().contract_address != upgraded.v1_address
    after = upgraded.verdicts()
    assert after == {code: "recalled" if code == "LO-R" else "verified" for code in V1_LOTS}
    view = runtime.chain_view()
    for code in ("LO-B", "LO-C", "LO-R", "LO-S"):
        assert {view.anchor(root).registry for root in _roots(upgraded, code)} == {
            upgraded.v1_address
        }
    # The batch never sent went to the new registry, as did LO-A's pending event.
    assert view.anchor(_roots(upgraded, "LO-P")[0]).registry is None
    assert [view.anchor(root).registry for root in _roots(upgraded, "LO-A")] == [
        *[upgraded.v1_address] * 3,
        None,
    ]


def test_a_recall_recorded_on_the_retired_registry_still_counts(upgraded: World) -> None:
    body = upgraded.verify("LO-R")
    assert (body["verdict"], body["reason_code"]) == ("recalled", "recalled_on_chain")


def test_each_v1_lot_is_sealed_with_its_newest_v1_event_and_their_number(upgraded: World) -> None:
    chain, engine = upgraded.runtime.require_chain(), upgraded.runtime.engine
    root = chain.heads_root()
    sealed = {"LO-A": 3, "LO-B": 2, "LO-C": 1, "LO-R": 1, "LO-S": 1}
    with Session(engine) as session:
        for code in V1_LOTS:
            key = lot_key(code)
            proof = head_proof(session, lot_key=key, heads_root=root)
            assert proof is not None
            if code not in sealed:  # LO-P: nothing of it was anchored on the v1 registry
                assert proof.leaf is None
                assert chain.verify_no_head(key, (proof.bitmap, proof.siblings))
                continue
            newest = events(engine, lot_code=code)[sealed[code] - 1]
            head = from_hex(newest.event_hash)
            assert chain.verify_head(key, head, sealed[code], (proof.bitmap, proof.siblings))
        audit, replay = audit_heads(session), replay_heads(session)
    assert audit.agrees and audit.lots == len(sealed)
    assert replay.broken_at is None


@pytest.mark.parametrize(
    ("code", "which"),
    [("LO-A", 2), ("LO-A", 1), ("LO-A", 0), ("LO-C", 0), ("LO-B", 1)],
    ids=["newest-alone-in-its-batch", "middle-alone", "first-alone", "only-event", "shared"],
)
def test_deleting_a_sealed_v1_event_reads_tampered(upgraded: World, code: str, which: int) -> None:
    execute(
        upgraded.runtime.engine, "DELETE FROM event WHERE id = :id", id=upgraded.ids[code][which]
    )

    body = upgraded.verify(code)

    assert body["verdict"] == "tampered"
    codes = {p["reason_code"] for p in body["problems"]}  # type: ignore[union-attr]
    # LO-C has no event left: the chain holds a head the ledger has nothing for.
    assert ("tampered_head_missing" if code == "LO-C" else "tampered_seal_broken") in codes


def test_new_rules_v2_lots_anchor_and_verify_beside_the_sealed_ones(upgraded: World) -> None:
    runtime = upgraded.runtime
    with TestClient(create_app(runtime)) as client:
        actors = Actors(client)
        actors.org("htx2", "cooperative", "HTX Tân Thuận")
        actors.post(
            "/api/v1/farms", "htx2", {"code": "F-02", "name": "Vườn bà Năm", "commune": "Tân Thuận"}
        )
        actors.post("/api/v1/products", "htx2", {"code": "nhan", "name_vi": "Nhãn xuồng"})
        harvest(actors, "LO-V2", org="htx2", product="nhan", farm="F-02")
        note(actors, "LO-V2", "Tưới nước", org="htx2")
        anchor_everything(runtime)
        body = client.get("/api/v1/lots/LO-V2/verification").json()
    assert body["verdict"] == "verified"
    assert {e.schema_version for e in events(runtime.engine, lot_code="LO-V2")} == {2}
    assert upgraded.verdicts()["LO-A"] == "verified"  # sealed heads hold under the new root
    with Session(runtime.engine) as session:
        assert audit_heads(session).agrees and replay_heads(session).broken_at is None


def test_a_second_upgrade_changes_nothing(upgraded: World) -> None:
    engine = upgraded.runtime.engine
    before = [(b.id, b.status, b.heads_root, b.contract_address) for b in _batches(upgraded)]
    with Session(engine) as session:
        nodes = session.exec(select(func.count()).select_from(HeadsNode)).one()
    registry = upgraded.runtime.require_chain().contract_address

    again = upgraded.upgrade()

    assert not again.changed
    assert (again.deployed, again.lots_sealed, again.anchoring) == (None, 0, {})
    assert [s["status"] for s in again.sealing_batches] == [str(BatchStatus.CONFIRMED)]
    assert [
        (b.id, b.status, b.heads_root, b.contract_address) for b in _batches(upgraded)
    ] == before
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(HeadsNode)).one() == nodes
    assert upgraded.runtime.require_chain().contract_address == registry


def test_the_upgrade_reports_what_it_did(world: World) -> None:
    report = world.upgrade().as_dict()

    assert report["changed"] is True
    assert report["retired"] == [world.v1_address]
    assert report["registry"] == report["deployed"] != world.v1_address
    assert (report["batches_found_on_retired"], report["batches_adopted"]) == (1, 1)
    assert report["lots_sealed"] == 5
    assert [(s["lots"], s["status"]) for s in report["sealing_batches"]] == [(5, "confirmed")]


def test_anchors_on_the_retired_registry_are_served_from_the_cache_once_final(
    upgraded: World,
) -> None:
    runtime, root = upgraded.runtime, _roots(upgraded, "LO-C")[0]
    assert runtime.chain_view().anchor(root).state is AnchorState.FINAL

    runtime.chain_cache.mark_chain_down()  # the node is not asked again for a while
    cached = runtime.chain_view().anchor(root)

    assert (cached.state, cached.registry) == (AnchorState.FINAL, upgraded.v1_address)


def test_a_heads_audit_names_the_sealing_batch_a_deleted_v1_event_no_longer_explains(
    upgraded: World,
) -> None:
    engine = upgraded.runtime.engine
    execute(engine, "DELETE FROM event WHERE id = :id", id=upgraded.ids["LO-B"][0])

    with Session(engine) as session:
        [(sealing, _)] = sealing_batches(session)
        audit, replay = audit_heads(session), replay_heads(session)

    assert not audit.agrees
    assert (replay.broken_at, replay.why) == (sealing, Break.HEADS)
