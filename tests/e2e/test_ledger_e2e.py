"""The ledger end to end over HTTP, on a real anvil node, with the anchoring worker running.

1. A cooperative creates a farm, a product and a lot, logs an input application and hands the
   lot to a packer, who records packing and splits it. The worker anchors on its own; every
   event of every lot reads ``verified``; ``sentrace verify-proof`` accepts the proof bundle
   over JSON-RPC and rejects a forged one. Then one stored field is edited in the database:
   that event and every lot that descends from it read ``tampered``, naming the event. This
   runs for lots recorded under rules v2 (the default), where the field is edited in the stored
   canonical bytes, and under rules v1 (lots recorded before an upgrade), in the ``data`` column.
2. The chain node stops (gracefully, or killed) while events keep arriving and comes back on
   the same port with the same state file: every event ends anchored, none lost, none twice.

Both run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak as eth_keccak
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from backend.app import create_app
from backend.chain import ChainClient, ManagedAnvil
from backend.chain.anvil import free_port
from backend.cli import app as cli
from backend.hashing import lot_key, to_hex
from backend.models import BatchStatus, ChainActionKind
from backend.runtime import Runtime
from tests.support.anvil import start_anvil
from tests.support.app import Actors, make_settings
from tests.support.custody import hand_over
from tests.support.killable import KillableStack
from tests.support.ledger_flow import actions, batches, events, execute, pending_events

pytestmark = pytest.mark.anvil

DEADLINE_S = 180.0  # a killed node restarts without its last blocks: reconcile re-sends them
BATCH_ANCHORED = "0x" + eth_keccak(text="BatchAnchored(bytes32,bytes32,uint32)").hex()


def wait_for(what: str, condition: Callable[[], bool], *, timeout: float = DEADLINE_S) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` (a deadline, not a timing check)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"{what}: not reached within {timeout:g} s")


def live_runtime(tmp_path: Path, database_url: str, rpc_url: str, **overrides: Any) -> Runtime:
    settings = make_settings(
        tmp_path / "data",
        database_url,
        chain_rpc_url=rpc_url,
        worker_enabled=True,
        worker_poll_s=0.05,
        batch_max_delay_s=0.2,
        **overrides,
    )
    return Runtime.start(settings)


def anchor_logs_per_root(chain: ChainClient) -> Counter[str]:
    """How many ``BatchAnchored`` logs each root has on chain (must be one each)."""
    logs = chain.w3.eth.get_logs(
        {"address": chain.contract_address, "fromBlock": 0, "topics": [BATCH_ANCHORED]}
    )
    return Counter(to_hex(bytes(log["topics"][1])) for log in logs)


# ------------------------------------------------------------------- 1. the happy path


@pytest.fixture
def ledger(tmp_path: Path, database_url: str, anvil_node: ManagedAnvil) -> Iterator[TestClient]:
    runtime = live_runtime(tmp_path, database_url, anvil_node.url)
    try:
        with TestClient(create_app(runtime)) as client:
            yield client
    finally:
        runtime.close()


def _supply_chain(client: TestClient) -> Actors:
    actors = Actors(client)
    actors.org("htx-my-xuong", "cooperative", "HTX Xoài Mỹ Xương")
    actors.org("dong-goi-sa-dec", "packer", "Đóng gói Sa Đéc")
    actors.post(
        "/api/v1/farms",
        "htx-my-xuong",
        {"code": "MX-01", "name": "Vườn xoài ông Tư", "commune": "Mỹ Xương", "area_ha": "1.5"},
    )
    actors.post(
        "/api/v1/products",
        "htx-my-xuong",
        {"code": "xoai-cat", "name_vi": "Xoài cát Hòa Lộc", "name_en": "Hoa Loc mango"},
    )
    return actors


def _record_the_journey(actors: Actors) -> str:
    """Harvest, input application, transfer, packing, split; returns the input event's id."""
    actors.post(
        "/api/v1/lots",
        "htx-my-xuong",
        {
            "code": "XOAI-2026-001",
            "product": "xoai-cat",
            "farm": "MX-01",
            "quantity": "1200",
            "unit": "kg",
            "harvested_at": "2026-05-01T06:30:00+07:00",
        },
    )
    applied = actors.post(
        "/api/v1/lots/XOAI-2026-001/events",
        "htx-my-xuong",
        {
            "type": "input_application",
            "occurred_at": "2026-04-10T07:00:00+07:00",
            "data": {
                "product": "Chế phẩm nấm Trichoderma",
                "active_ingredient": "Trichoderma spp.",
                "dose": "2.5",
                "unit": "kg/ha",
                "pre_harvest_interval_days": 0,
            },
        },
    )
    hand_over(actors.post, "XOAI-2026-001", "htx-my-xuong", "dong-goi-sa-dec")
    actors.post(
        "/api/v1/lots/XOAI-2026-001/events",
        "dong-goi-sa-dec",
        {
            "type": "packing",
            "occurred_at": "2026-05-02T09:00:00+07:00",
            "data": {"boxes": 100, "box_weight_kg": "10"},
        },
    )
    actors.post(
        "/api/v1/lots/XOAI-2026-001/split",
        "dong-goi-sa-dec",
        {"children": [{"code": "XOAI-2026-001-A", "quantity": "600"},
                      {"code": "XOAI-2026-001-B", "quantity": "600"}]},
    )  # fmt: skip
    return str(applied["id"])


LOTS = ("XOAI-2026-001", "XOAI-2026-001-A", "XOAI-2026-001-B")

#: Ways to forge one event entry of a proof bundle; each must fail ``verify-proof``.
FORGERIES: dict[str, Callable[[dict[str, Any]], None]] = {
    "document": lambda entry: entry["document"]["data"].update(dose="0.5"),
    "proof": lambda entry: entry.update(proof=["0x" + "11" * 32, *entry["proof"]]),
    "root": lambda entry: entry.update(root="0x" + "44" * 32),
}


@pytest.mark.parametrize(
    "rules",
    [
        pytest.param(1, marks=pytest.mark.event_schema(1), id="v1"),
        pytest.param(2, marks=pytest.mark.event_schema(2), id="v2"),
    ],
)
def test_a_traced_lot_is_verified_on_anvil_and_a_database_edit_reads_tampered(
    ledger: TestClient, tmp_path: Path, anvil_node: ManagedAnvil, rules: int
) -> None:
    actors = _supply_chain(ledger)
    input_event = _record_the_journey(actors)

    def verdict(code: str) -> dict[str, Any]:
        response = ledger.get(f"/api/v1/lots/{code}/verification")
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body

    wait_for("all lots verified", lambda: all(verdict(c)["verdict"] == "verified" for c in LOTS))
    parent = verdict("XOAI-2026-001")
    types = {e["type"]: e for e in parent["events"]}
    kinds = {"harvest", "input_application", "transfer", "transfer_received", "packing", "split"}
    assert set(types) == kinds
    assert {e["verdict"] for e in parent["events"]} == {"verified"}
    assert types["harvest"]["milestone_tx_hash"] and types["transfer"]["milestone_tx_hash"]
    assert types["packing"]["milestone_tx_hash"] is None
    child = verdict("XOAI-2026-001-A")
    assert [a["lot"] for a in child["ancestors"]] == ["XOAI-2026-001"]
    assert ledger.get("/readyz").json()["status"] == "ready"

    # An auditor checks the bundle against the node without our server.
    bundle = ledger.get("/api/v1/lots/XOAI-2026-001-A/proof").json()
    runner = CliRunner()
    registry = ["--contract", bundle["chain"]["contract_address"]]
    good = tmp_path / "proof.json"
    good.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    passed = runner.invoke(cli, ["verify-proof", str(good), "--rpc", anvil_node.url, *registry])
    assert passed.exit_code == 0, passed.output
    assert "7 hợp lệ / valid, 0 sai / failed" in passed.output
    for part, forge in FORGERIES.items():
        forged_bundle = json.loads(json.dumps(bundle))
        forge(next(e for e in forged_bundle["events"] if e["id"] == input_event))
        forged = tmp_path / f"forged-{part}.json"
        forged.write_text(json.dumps(forged_bundle, ensure_ascii=False), encoding="utf-8")
        failed = runner.invoke(
            cli, ["verify-proof", str(forged), "--rpc", anvil_node.url, *registry]
        )
        assert failed.exit_code == 1, (part, failed.output)
        assert input_event in failed.output and "SAI / FAILED" in failed.output, part
        assert "6 hợp lệ / valid, 1 sai / failed" in failed.output, part

    # Someone lowers the recorded dose directly in the database, where the rules hash it:
    # rules v1 hash the event's columns; rules v2 hash the stored canonical bytes, beside which
    # the ``data`` column is only an index (docs/proof-rules.md 3.5).
    runtime: Runtime = ledger.app.state.runtime  # type: ignore[attr-defined]
    stored = next(e for e in events(runtime.engine) if e.id == input_event)
    assert stored.schema_version == rules
    if rules == 1:
        execute(
            runtime.engine,
            "UPDATE event SET data = :data WHERE id = :id",
            data=json.dumps({**stored.data, "dose": "0.5"}),
            id=input_event,
        )
    else:
        raw = bytes(stored.canonical or b"")
        edited = raw.replace(b'"dose":"2.5"', b'"dose":"0.5"')
        assert edited != raw
        execute(
            runtime.engine,
            "UPDATE event SET canonical = :raw WHERE id = :id",
            raw=edited,
            id=input_event,
        )

    for code in LOTS:
        body = verdict(code)
        assert body["verdict"] == "tampered", code
        assert input_event in body["reason"] and input_event in body["reason_en"]
    parent = verdict("XOAI-2026-001")
    tampered = [e["id"] for e in parent["events"] if e["verdict"] == "tampered"]
    assert tampered == [input_event]


# ------------------------------------------------------- 2. the chain node goes away


@pytest.mark.slow
@pytest.mark.parametrize("how", ["stop", "kill"])
def test_events_arriving_while_the_chain_node_is_down_are_anchored_once_after_it_returns(
    tmp_path: Path, database_url: str, killable: KillableStack, how: str
) -> None:
    rpc_url = killable.start_anvil(port=free_port())
    runtime = live_runtime(tmp_path, database_url, rpc_url, batch_max_events=4)
    try:
        with TestClient(create_app(runtime)) as client:
            accepted = _run_through_an_outage(client, runtime, killable, how)
            wait_for(
                "every event anchored and every milestone recorded",
                lambda: _all_confirmed(runtime),
            )
            _assert_once_each(runtime, accepted)
            verdicts = {
                lot: client.get(f"/api/v1/lots/{lot}/verification").json()
                for lot in ("LO-0", "LO-1", "LO-2", "LO-3", "LO-4", "LO-5")
            }
            reasons = {lot: body["reason_en"] for lot, body in verdicts.items()}
            assert {body["verdict"] for body in verdicts.values()} == {"verified"}, reasons
    finally:
        runtime.close()


def _run_through_an_outage(
    client: TestClient, runtime: Runtime, killable: KillableStack, how: str
) -> list[str]:
    actors = Actors(client)
    actors.org("htx", "cooperative")
    actors.post("/api/v1/farms", "htx", {"code": "F-01", "name": "Vườn", "commune": "Tân Thuận"})
    actors.post("/api/v1/products", "htx", {"code": "xoai", "name_vi": "Xoài"})
    accepted: list[str] = []

    def record(lot: int) -> None:
        body = {"code": f"LO-{lot}", "product": "xoai", "farm": "F-01", "quantity": "10",
                "unit": "kg", "harvested_at": "2026-05-01T06:30:00Z"}  # fmt: skip
        accepted.append(actors.post("/api/v1/lots", "htx", body)["event"]["id"])
        for i in range(3):
            note = {"type": "note", "occurred_at": "2026-05-02T08:00:00Z",
                    "data": {"text": f"Ghi chú {i}"}}  # fmt: skip
            accepted.append(actors.post(f"/api/v1/lots/LO-{lot}/events", "htx", note)["id"])

    record(0)
    record(1)
    wait_for("first events anchored", lambda: pending_events(runtime.engine) == 0)
    killable.stop_anvil() if how == "stop" else killable.kill_anvil()
    record(2)
    record(3)  # accepted while the node is away
    assert client.get("/readyz").status_code == 503
    assert client.get("/api/v1/lots/LO-0/verification").status_code == 200  # reads still work
    killable.restart_anvil()  # same port, same state file
    record(4)
    record(5)
    return accepted


def _all_confirmed(runtime: Runtime) -> bool:
    if pending_events(runtime.engine):
        return False
    if any(b.status is not BatchStatus.CONFIRMED for b in batches(runtime.engine)):
        return False
    return all(a.status is BatchStatus.CONFIRMED for a in actions(runtime.engine))


def _assert_once_each(runtime: Runtime, accepted: list[str]) -> None:
    stored = events(runtime.engine)
    assert sorted(e.id for e in stored) == sorted(accepted)  # nothing lost, nothing invented
    per_batch = Counter(e.batch_id for e in stored)
    assert {b.id: b.event_count for b in batches(runtime.engine)} == dict(per_batch)
    chain = runtime.require_chain()
    roots = anchor_logs_per_root(chain)
    assert {b.root for b in batches(runtime.engine)} <= set(roots)
    assert set(roots.values()) == {1}  # no root anchored twice
    milestones = [a for a in actions(runtime.engine) if a.kind is ChainActionKind.LOT_EVENT]
    for lot in range(6):
        logged = Counter(to_hex(log.event_hash) for log in chain.lot_events(lot_key(f"LO-{lot}")))
        mine = [a.payload_hash for a in milestones if a.lot_key == to_hex(lot_key(f"LO-{lot}"))]
        assert logged == Counter(mine)  # each harvest recorded exactly once


# ---------------------------------------------------- 3. the node is down at start-up


def test_a_server_started_before_its_chain_node_serves_then_anchors_when_the_node_appears(
    tmp_path: Path,
) -> None:
    port = free_port()
    runtime = live_runtime(
        tmp_path, f"sqlite:///{tmp_path / 'ledger.db'}", f"http://127.0.0.1:{port}"
    )
    node: ManagedAnvil | None = None
    try:
        with TestClient(create_app(runtime)) as client:
            ready = client.get("/readyz")
            assert ready.status_code == 503
            assert ready.json()["reachable"] is False
            actors = _supply_chain(client)  # organisations (their keys queued) need no chain
            harvest = {"code": "XOAI-2", "product": "xoai-cat", "farm": "MX-01", "quantity": "5",
                       "unit": "kg", "harvested_at": "2026-05-01T06:30:00Z"}  # fmt: skip
            # An event is signed under the registry's domain, unknown before the node is ever
            # reached: the write is refused to be retried (503), and nothing is stored.
            refused = client.post(
                "/api/v1/lots", json=harvest, headers=actors.headers["htx-my-xuong"]
            )
            assert refused.status_code == 503, refused.text
            assert refused.json()["code"] == "service_unavailable"
            url = "/api/v1/lots/XOAI-2/verification"
            assert client.get(url).status_code == 404

            node = start_anvil(tmp_path / "anvil", port=port)

            wait_for("writes signed once the node is up", lambda: client.post(
                "/api/v1/lots", json=harvest, headers=actors.headers["htx-my-xuong"]
            ).status_code == 201)  # fmt: skip
            # the key's SET_SIGNER queued while the node was down goes out before the batch
            wait_for("verified once the node is up", lambda: client.get(url).json()["verdict"]
                     == "verified")  # fmt: skip
            assert client.get("/readyz").status_code == 200
    finally:
        runtime.close()
        if node is not None:
            node.stop()
