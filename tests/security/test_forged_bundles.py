"""Forged proof bundles fail ``sentrace verify-proof`` against a real anvil node.

A lot is recorded and anchored by an in-process app on anvil; its proof bundle is downloaded
and then forged the ways a forger would try, from clumsy (edit a document) to careful (recompute
hash, leaf, a whole new Merkle tree, even anchor the forged root on a registry of one's own).
The genuine bundle and the key forgeries go through the real command in a subprocess; the rest
through the same function the command calls (``backend.services.verification.offline.run``),
which saves a process start per case.

Every case runs on a lot recorded under rules v2 (what is recorded now) and on one recorded
under rules v1 (lots recorded before an upgrade, whose bundles must keep failing when forged).
tests/security/test_forged_bundles_v2.py adds the forgeries only rules v2 can see (events
removed, moved, reordered, heads replayed).
"""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from backend.app import create_app
from backend.chain.anvil import ManagedAnvil
from backend.chain.client import ChainClient
from backend.chain.providers import http_web3
from backend.hashing import (
    MerkleTree,
    canonical_bytes,
    event_hash,
    from_hex,
    leaf_hash,
    lot_key,
    to_hex,
)
from backend.runtime import Runtime
from backend.services.verification import offline as verify_proof
from tests.support.anvil import start_anvil
from tests.support.app import ADMIN, make_settings
from tests.support.custody import hand_over
from tests.support.server import sentrace_command

pytestmark = pytest.mark.anvil

Bundle = dict[str, Any]


@dataclass
class Anchored:
    node: ManagedAnvil
    bundle: Bundle
    recalled_bundle: Bundle
    folder: Path
    rules: int  # the proof rules the lots were recorded under

    def write(self, bundle: Bundle, name: str) -> Path:
        path = self.folder / f"{name}.json"
        path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
        return path


@pytest.fixture(scope="module", params=[pytest.param(1, id="v1"), pytest.param(2, id="v2")])
def anchored(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Anchored]:
    rules: int = request.param
    root = tmp_path_factory.mktemp("bundles")
    node = start_anvil(root / "anvil")
    settings = make_settings(
        root / "data", f"sqlite:///{root / 'ledger.db'}", chain_rpc_url=node.url,
        event_schema=rules,
    )  # fmt: skip
    runtime = Runtime.start(settings, start_worker=False)
    try:
        with TestClient(create_app(runtime)) as client:
            bundles = record(client, runtime)
        assert bundles[0]["rules"] == f"sentrace/event@{rules}"
        yield Anchored(node, bundles[0], bundles[1], root, rules)
    finally:
        runtime.close()
        node.stop()


def record(client: TestClient, runtime: Runtime) -> tuple[Bundle, Bundle]:
    keys = {}
    for slug, role in (("htx", "cooperative"), ("dg", "packer"), ("ql", "regulator")):
        made = client.post(
            "/api/v1/orgs",
            json={"slug": slug, "name": slug, "role": role, "key_custody": "custodial"},
            headers=ADMIN,
        )
        keys[slug] = {"Authorization": f"Bearer {made.json()['api_key']}"}

    def post(path: str, org: str, body: dict[str, Any]) -> None:
        response = client.post(path, json=body, headers=keys[org])
        assert response.status_code in (200, 201), response.text

    post("/api/v1/farms", "htx", {"code": "F-01", "name": "Vườn ông Tư", "commune": "Mỹ Xương"})
    post("/api/v1/products", "htx", {"code": "xoai", "name_vi": "Xoài cát Hòa Lộc"})
    for code in ("B-1", "B-RECALL"):
        lot = {
            "code": code,
            "product": "xoai",
            "farm": "F-01",
            "quantity": "1000",
            "unit": "kg",
            "harvested_at": "2026-05-01T06:30:00+07:00",
        }
        post("/api/v1/lots", "htx", lot)
        spray = {
            "type": "input_application",
            "occurred_at": "2026-04-20T07:00:00+07:00",
            "data": {
                "product": "Antracol 70WP",
                "active_ingredient": "propineb",
                "dose": "0.5",
                "unit": "kg/ha",
                "pre_harvest_interval_days": 7,
            },
        }
        post(f"/api/v1/lots/{code}/events", "htx", spray)
        hand_over(post, code, "htx", "dg")
    post("/api/v1/lots/B-RECALL/recall", "ql", {"reason": "Dư lượng thuốc vượt ngưỡng"})
    for _ in range(20):
        report = runtime.anchoring.run_once(force=True, wait=True)
        if not (report.more_work or report.built or report.sent or report.outbox_sent):
            break
    for code in ("B-1", "B-RECALL"):
        assert client.get(f"/api/v1/lots/{code}/verification").json()["verdict"] in {
            "verified",
            "recalled",
        }
    bundles = [client.get(f"/api/v1/lots/{code}/proof").json() for code in ("B-1", "B-RECALL")]
    return bundles[0], bundles[1]


def cli(path: Path, rpc: str, *extra: str) -> tuple[int, str]:
    """``sentrace verify-proof`` in a subprocess: exit code and everything it printed."""
    done = subprocess.run(
        [*sentrace_command(), "verify-proof", str(path), "--rpc", rpc, *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def in_process(anchored: Anchored, bundle: Bundle, name: str, **options: Any) -> tuple[int, str]:
    options.setdefault("contract", anchored.bundle["chain"]["contract_address"])
    return verify_proof.run(anchored.write(bundle, name), rpc=anchored.node.url, **options)


# ---------------------------------------------------------------------------- forgeries


def spray_entry(bundle: Bundle) -> dict[str, Any]:
    entry: dict[str, Any] = next(e for e in bundle["events"] if e["type"] == "input_application")
    return entry


def edit_dose(bundle: Bundle) -> dict[str, Any]:
    """The clumsy forgery: a tenth of the real dose, nothing else touched."""
    entry = spray_entry(bundle)
    entry["document"]["data"]["dose"] = "0.05"
    return entry


def rehash(entry: dict[str, Any]) -> bytes:
    """Recompute canonical bytes and event hash from the (edited) document."""
    raw = canonical_bytes(entry["document"])
    entry["canonical_json"] = raw.decode("utf-8")
    entry["canonical_hex"] = to_hex(raw)
    digest = event_hash(entry["document"])
    entry["event_hash"] = to_hex(digest)
    return digest


def forge_hash(bundle: Bundle) -> None:
    rehash(edit_dose(bundle))


def forge_leaf(bundle: Bundle) -> None:
    entry = edit_dose(bundle)
    entry["leaf"] = to_hex(leaf_hash(from_hex(entry["lot_key"]), rehash(entry)))


def forge_tree(bundle: Bundle) -> bytes:
    """The careful forgery: a whole new tree over the bundle's (edited) events."""
    edit_dose(bundle)
    leaves = {}
    for entry in bundle["events"]:
        leaves[entry["id"]] = leaf_hash(from_hex(entry["lot_key"]), rehash(entry))
    tree = MerkleTree.build(list(leaves.values()))
    for entry in bundle["events"]:
        entry["leaf"] = to_hex(leaves[entry["id"]])
        entry["proof"] = [to_hex(node) for node in tree.proof(leaves[entry["id"]])]
        entry["root"] = to_hex(tree.root)
    return tree.root


def forge_tree_claiming_unsent(bundle: Bundle) -> None:
    forge_tree(bundle)
    for entry in bundle["events"]:
        entry["batch_status"] = "pending"


def drop_proof_node(bundle: Bundle) -> None:
    entry = spray_entry(bundle)
    assert entry["proof"], "the test lot must share its batch with other events"
    entry["proof"] = entry["proof"][1:]


def swap_proof_nodes(bundle: Bundle) -> None:
    entry = spray_entry(bundle)
    entry["proof"] = ["0x" + "22" * 32, *entry["proof"][1:]]


def other_chain(bundle: Bundle) -> None:
    bundle["chain"]["chain_id"] = 1


def no_contract(bundle: Bundle) -> None:
    bundle["chain"]["contract_address"] = "0x" + "12" * 20


def move_to_other_lot(bundle: Bundle) -> None:
    entry = spray_entry(bundle)
    entry["document"]["lot"] = "B-OTHER"
    entry["lot"] = "B-OTHER"
    entry["lot_key"] = to_hex(lot_key("B-OTHER"))
    rehash(entry)


FORGERIES: dict[str, Callable[[Bundle], object]] = {
    "edited-document": edit_dose,
    "rehashed": forge_hash,
    "rehashed-and-leaf": forge_leaf,
    "new-tree": forge_tree,
    "new-tree-claiming-unsent": forge_tree_claiming_unsent,
    "proof-node-dropped": drop_proof_node,
    "proof-node-replaced": swap_proof_nodes,
    "other-chain": other_chain,
    "no-contract-there": no_contract,
    "moved-to-other-lot": move_to_other_lot,
}


def test_the_genuine_bundle_passes_the_command(anchored: Anchored) -> None:
    path = anchored.write(anchored.bundle, "genuine")
    code, output = cli(path, anchored.node.url, "--data-dir", str(anchored.folder / "data"))
    assert code == 0, output
    assert (
        f"Tổng / Total: {len(anchored.bundle['events'])} hợp lệ / valid, 0 sai / failed" in output
    )


@pytest.mark.parametrize("name", ["edited-document", "new-tree"])
def test_forged_bundles_fail_the_command(anchored: Anchored, name: str) -> None:
    forged = copy.deepcopy(anchored.bundle)
    FORGERIES[name](forged)
    registry = anchored.bundle["chain"]["contract_address"]
    code, output = cli(anchored.write(forged, name), anchored.node.url, "--contract", registry)
    assert code == 1, output
    assert "SAI / FAILED" in output


@pytest.mark.parametrize("name", list(FORGERIES))
def test_every_forgery_fails_the_check(anchored: Anchored, name: str) -> None:
    """Never 0 (never "all holds"). A new tree whose events all claim not to be on chain yet
    leaves a rules v1 check incomplete (2); under rules v2 the re-hashed spray no longer is
    the document the transfer after it names in ``prev``, so the check fails (1)."""
    forged = copy.deepcopy(anchored.bundle)
    FORGERIES[name](forged)
    code, report = in_process(anchored, forged, name)
    unsent = name == "new-tree-claiming-unsent"
    expected = 2 if unsent and anchored.rules == 1 else 1
    assert code == expected, report
    if unsent and anchored.rules == 2:
        assert "Lot B-1: event seq 3 does not follow the event before it" in report, report


def test_a_root_anchored_on_the_forgers_own_registry_fails_when_the_registry_is_pinned(
    anchored: Anchored,
) -> None:
    forged = copy.deepcopy(anchored.bundle)
    root = forge_tree(forged)
    account = Account.create()
    w3 = http_web3(anchored.node.url)
    w3.provider.make_request("anvil_setBalance", [account.address, hex(10**19)])  # type: ignore[arg-type]
    forger = ChainClient(w3, account, endpoint=anchored.node.url)
    own_registry = forger.deploy_registry()
    forger.anchor_batch(root, len(forged["events"]))
    genuine_registry = anchored.bundle["chain"]["contract_address"]
    forged["chain"]["contract_address"] = own_registry

    code, output = cli(
        anchored.write(forged, "own-registry"), anchored.node.url, "--contract", genuine_registry
    )
    assert code == 1, output
    assert "SAI / FAILED" in output


def test_a_bundle_that_hides_a_recall_fails(anchored: Anchored) -> None:
    forged = copy.deepcopy(anchored.recalled_bundle)
    hidden = {e["id"] for e in forged["events"] if e["type"] == "recall"}
    assert hidden
    forged["events"] = [e for e in forged["events"] if e["id"] not in hidden]
    forged["milestones"] = [m for m in forged["milestones"] if m["event_id"] not in hidden]
    for lot in forged["lots"]:
        lot["recalled"] = False
    code, report = in_process(anchored, forged, "recall-hidden")
    assert code != 0, report
    assert code == 1, report
    hidden_line = next(line for line in report.splitlines() if "B-RECALL" in line and "!!" in line)
    assert "SAI / FAILED" in hidden_line and "thu hồi" in hidden_line
    assert "Lot B-RECALL is recalled on the blockchain" in report


def test_a_bundle_that_shows_its_recall_still_holds(anchored: Anchored) -> None:
    code, report = in_process(anchored, anchored.recalled_bundle, "recall-shown")
    assert code == 0, report
    assert "B-RECALL is recalled on the blockchain" not in report


def test_a_recall_flag_without_its_event_fails(anchored: Anchored) -> None:
    forged = copy.deepcopy(anchored.recalled_bundle)
    forged["events"] = [e for e in forged["events"] if e["type"] != "recall"]
    forged["milestones"] = []
    assert any(lot["recalled"] for lot in forged["lots"])
    code, report = in_process(anchored, forged, "recall-event-dropped")
    assert code == 1, report
    assert "Lot B-RECALL is recalled on the blockchain" in report
