"""Rules v2 proof bundles against a real anvil: a genuine bundle proves its lot complete, and
every way of leaving a document out, adding one, reordering or editing one, pointing at another
registry or replaying an older heads root is caught and named by ``sentrace verify-proof``.

A parent lot gets a harvest and two notes, then is split; the child gets a note. Every step is
anchored in a batch of its own, as a real server's 30-second batches leave them. The bundle of
the child carries both lots. One bundle is also kept from before the child's note, to replay.
"""

from __future__ import annotations

import copy
import json
import subprocess
import uuid
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
    from_hex,
    head_leaf,
    keccak,
    leaf_hash,
    to_hex,
)
from backend.runtime import Runtime
from backend.services.verification import offline as verify_proof
from tests.support.anvil import start_anvil
from tests.support.app import ADMIN, make_settings
from tests.support.ledger_flow import anchor_everything, events
from tests.support.server import sentrace_command

pytestmark = pytest.mark.anvil

Bundle = dict[str, Any]
PARENT, CHILD = "V2-P", "V2-C"


@dataclass
class Recorded:
    node: ManagedAnvil
    runtime: Runtime
    bundle: Bundle  # the child's, after everything was anchored
    old_bundle: Bundle  # the child's, before its note was anchored
    folder: Path
    forger: ChainClient  # with a registry of its own on the same node

    @property
    def registry(self) -> str:
        return str(self.bundle["chain"]["contract_address"])

    def write(self, bundle: Bundle, name: str) -> Path:
        path = self.folder / f"{name}.json"
        path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
        return path

    def check(self, bundle: Bundle, name: str, **options: Any) -> tuple[int, str]:
        options.setdefault("contract", self.registry)
        return verify_proof.run(self.write(bundle, name), rpc=self.node.url, **options)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recorded]:
    root = tmp_path_factory.mktemp("bundles-v2")
    node = start_anvil(root / "anvil")
    settings = make_settings(
        root / "data", f"sqlite:///{root / 'ledger.db'}", chain_rpc_url=node.url, event_schema=2
    )
    runtime = Runtime.start(settings, start_worker=False)
    try:
        with TestClient(create_app(runtime)) as client:
            old, new = _record(client, runtime)
        yield Recorded(node, runtime, new, old, root, _forger(node))
    finally:
        runtime.close()
        node.stop()


def _record(client: TestClient, runtime: Runtime) -> tuple[Bundle, Bundle]:
    made = client.post(
        "/api/v1/orgs",
        json={
            "slug": "htx", "name": "HTX Mỹ Xương", "role": "cooperative", "key_custody": "custodial"
        },
        headers=ADMIN,
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {made.json()['api_key']}"}

    def post(path: str, body: dict[str, Any]) -> None:
        response = client.post(path, json=body, headers=headers)
        assert response.status_code in (200, 201), response.text
        anchor_everything(runtime)  # one batch per step

    def note(code: str, text: str) -> None:
        body = {"type": "note", "occurred_at": "2026-05-02T08:00:00Z", "data": {"text": text}}
        post(f"/api/v1/lots/{code}/events", body)

    post("/api/v1/farms", {"code": "F-01", "name": "Vườn ông Tư", "commune": "Mỹ Xương"})
    post("/api/v1/products", {"code": "xoai", "name_vi": "Xoài cát Hòa Lộc"})
    lot = {"code": PARENT, "product": "xoai", "farm": "F-01", "quantity": "1000", "unit": "kg"}
    post("/api/v1/lots", {**lot, "harvested_at": "2026-05-01T06:30:00+07:00"})
    note(PARENT, "Tỉa cành")
    note(PARENT, "Kiểm tra sâu bệnh")
    post(f"/api/v1/lots/{PARENT}/split", {"children": [{"code": CHILD, "quantity": "250"}]})
    old = client.get(f"/api/v1/lots/{CHILD}/proof").json()
    note(CHILD, "Đóng thùng 10 kg")
    assert client.get(f"/api/v1/lots/{CHILD}/verification").json()["verdict"] == "verified"
    return old, client.get(f"/api/v1/lots/{CHILD}/proof").json()


def _forger(node: ManagedAnvil) -> ChainClient:
    account = Account.create()
    w3 = http_web3(node.url)
    w3.provider.make_request("anvil_setBalance", [account.address, hex(10**19)])  # type: ignore[arg-type]
    forger = ChainClient(w3, account, endpoint=node.url)
    forger.deploy_registry()
    return forger


def cli(path: Path, rpc: str, *extra: str) -> tuple[int, str]:
    done = subprocess.run(
        [*sentrace_command(), "verify-proof", str(path), "--rpc", rpc, *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


# ---------------------------------------------------------------------------- helpers


def entry(bundle: Bundle, lot: str, seq: int) -> dict[str, Any]:
    found: dict[str, Any] = next(
        e for e in bundle["events"] if e["lot"] == lot and e["document"]["seq"] == seq
    )
    return found


def drop(bundle: Bundle, lot: str, seq: int) -> None:
    bundle["events"].remove(entry(bundle, lot, seq))


def reseal(item: dict[str, Any], document: dict[str, Any]) -> None:
    """What a careful forger does: canonical bytes and event hash recomputed from the edit."""
    raw = canonical_bytes(document)
    item.update(
        document=json.loads(raw),
        canonical_json=raw.decode(),
        canonical_hex=to_hex(raw),
        event_hash=to_hex(keccak(raw)),
    )


# ---------------------------------------------------------------------------- forgeries


def middle_removed(bundle: Bundle) -> None:
    drop(bundle, PARENT, 2)


def newest_removed(bundle: Bundle) -> None:
    drop(bundle, CHILD, 2)


def newest_removed_head_rewritten(bundle: Bundle) -> None:
    """The newest document dropped and the head proof made to name the one before it."""
    drop(bundle, CHILD, 2)
    first = entry(bundle, CHILD, 1)
    lot = next(item for item in bundle["lots"] if item["code"] == CHILD)
    key = from_hex(lot["lot_key"])
    lot["head_proof"]["leaf"] = to_hex(head_leaf(key, from_hex(first["event_hash"]), 1))
    lot["head_proof"]["head"] = {"seq": 1, "event_hash": first["event_hash"]}


def listed_out_of_order(bundle: Bundle) -> None:
    second, third = entry(bundle, PARENT, 2), entry(bundle, PARENT, 3)
    events = bundle["events"]
    i, j = events.index(second), events.index(third)
    events[i], events[j] = third, second


def history_reordered(bundle: Bundle) -> None:
    """Events 2 and 3 of the parent swapped in its history, re-linked and re-hashed."""
    first, second, third = (entry(bundle, PARENT, seq) for seq in (1, 2, 3))
    moved_up = {**third["document"], "seq": 2, "prev": first["event_hash"]}
    reseal(third, moved_up)
    reseal(second, {**second["document"], "seq": 3, "prev": third["event_hash"]})


def forged_inserted(bundle: Bundle) -> None:
    """A made-up second event for the parent, linked to its first, claiming no batch."""
    first = entry(bundle, PARENT, 1)
    forged = copy.deepcopy(entry(bundle, PARENT, 2))
    document = {**forged["document"], "id": str(uuid.uuid4()), "data": {"text": "Bón phân"}}
    document["prev"] = first["event_hash"]
    reseal(forged, document)
    forged.update(id=document["id"], root=None, leaf=None, proof=[], batch_status=None)
    bundle["events"].insert(bundle["events"].index(first) + 1, forged)


def ancestor_edited(bundle: Bundle) -> None:
    """The parent's first document says another commune, re-hashed like an honest one."""
    first = entry(bundle, PARENT, 1)
    document = copy.deepcopy(first["document"])
    document["lot_facts"]["farm"]["commune"] = "Hòa Hưng"
    reseal(first, document)


def ancestor_document_edited(bundle: Bundle) -> None:
    """Only the readable document changed, the stored bytes left as they were."""
    entry(bundle, PARENT, 1)["document"]["lot_facts"]["farm"]["commune"] = "Hòa Hưng"


def parent_missing(bundle: Bundle) -> None:
    bundle["lots"] = [lot for lot in bundle["lots"] if lot["code"] != PARENT]
    bundle["events"] = [e for e in bundle["events"] if e["lot"] != PARENT]


def proof_stripped(bundle: Bundle) -> None:
    """An anchored event below the head handed over as if it were still waiting for a batch."""
    entry(bundle, PARENT, 1).update(root=None, leaf=None, proof=[], batch_status=None)


def root_said_unsent(bundle: Bundle) -> None:
    """An anchored event below the head put in a made-up batch (its leaf beside another) that
    no chain holds, said to be "not sent yet"."""
    item = entry(bundle, PARENT, 1)
    leaf = from_hex(item["leaf"])
    tree = MerkleTree.build([leaf, keccak(b"made-up")])
    path = [to_hex(node) for node in tree.proofs()[leaf]]
    item.update(root=to_hex(tree.root), proof=path, batch_status="pending")


def heads_root_made_up(bundle: Bundle) -> None:
    bundle["heads"]["heads_root"] = "0x" + "5a" * 32


#: Forgery → what the report must name (English half) with exit code 1.
FORGERIES: dict[str, tuple[Callable[[Bundle], None], str]] = {
    "middle-removed": (middle_removed, f"Lot {PARENT}: event seq 2 missing."),
    "newest-removed": (newest_removed, "the newest event the chain holds for this lot (seq 2)"),
    "newest-removed-head-rewritten": (
        newest_removed_head_rewritten,
        f"Lot {CHILD}: the head proof does not match the chain's heads root",
    ),
    "listed-out-of-order": (listed_out_of_order, "lists event seq 2 after seq 3"),
    "history-reordered": (history_reordered, f"Lot {PARENT}: event seq 4 does not follow"),
    "forged-inserted": (forged_inserted, f"Lot {PARENT}: event seq 2 is not part of the anchored"),
    "ancestor-edited": (ancestor_edited, f"Lot {PARENT}: event seq 2 does not follow"),
    "ancestor-document-edited": (ancestor_document_edited, "differs from the stored bytes"),
    "parent-missing": (parent_missing, f"names source lot {PARENT}, which the bundle does not"),
    "heads-root-made-up": (heads_root_made_up, "was never held by contract"),
    "proof-stripped": (proof_stripped, f"Lot {PARENT}: event seq 1 is at or below the head"),
    "root-said-unsent": (root_said_unsent, f"Lot {PARENT}: event seq 1 is at or below the head"),
}


# ---------------------------------------------------------------------------- tests


def test_the_bundle_carries_the_stored_bytes_and_head_proofs_against_the_chains_root(
    recorded: Recorded,
) -> None:
    bundle = recorded.bundle
    assert bundle["format"] == "sentrace/proof-bundle@2"
    assert bundle["rules"] == "sentrace/event@2"
    chain = recorded.runtime.chain
    assert chain is not None
    assert bundle["heads"]["heads_root"] == to_hex(chain.heads_root())
    assert bundle["heads"]["source"] == "chain"
    stored = {e.id: bytes(e.canonical or b"") for lot in (PARENT, CHILD)
              for e in events(recorded.runtime.engine, lot_code=lot)}  # fmt: skip
    assert {e["id"] for e in bundle["events"]} == set(stored)
    for item in bundle["events"]:
        assert from_hex(item["canonical_hex"], size=None) == stored[item["id"]]
        anchor = chain.anchor_receipt(from_hex(item["root"]))
        assert anchor is not None and item["tx_hash"] == anchor.tx_hash
        assert item["block_number"] == anchor.block_number
    heads = {lot["code"]: lot["head_proof"]["head"]["seq"] for lot in bundle["lots"]}
    assert heads == {CHILD: 2, PARENT: 4}
    assert [e["document"]["seq"] for e in bundle["events"] if e["lot"] == PARENT] == [1, 2, 3, 4]


def test_the_genuine_bundle_passes_the_command_with_a_trusted_registry(
    recorded: Recorded,
) -> None:
    path = recorded.write(recorded.bundle, "genuine")
    code, output = cli(path, recorded.node.url, "--contract", recorded.registry)
    assert code == 0, output
    assert "6 hợp lệ / valid, 0 sai / failed" in output
    assert "sentrace/event@2" in output


def test_the_registry_is_read_from_the_data_folders_deployment_record(
    recorded: Recorded,
) -> None:
    record = json.loads((recorded.folder / "data" / "contract-31337.json").read_text())
    assert record["address"] == recorded.registry and record["tx_hash"] and record["deployer"]
    assert record["contract"]["name"] == "TraceRegistry"
    data_dir = recorded.folder / "data"
    code, report = recorded.check(recorded.bundle, "from-record", contract=None, data_dir=data_dir)
    assert code == 0, report
    assert "contract-31337.json" in report


@pytest.mark.parametrize("name", list(FORGERIES))
def test_every_forgery_fails_and_is_named(recorded: Recorded, name: str) -> None:
    forge, named = FORGERIES[name]
    forged = copy.deepcopy(recorded.bundle)
    forge(forged)
    code, report = recorded.check(forged, name)
    assert code == 1, report
    assert named in report, report


def test_a_forged_event_after_the_head_claiming_no_batch_is_only_pending(
    recorded: Recorded,
) -> None:
    """docs/proof-rules.md, section 9: it can extend the head visibly, never enter history."""
    forged = copy.deepcopy(recorded.bundle)
    head = entry(forged, CHILD, 2)
    extra = copy.deepcopy(head)
    document = {**head["document"], "id": str(uuid.uuid4()), "seq": 3, "prev": head["event_hash"]}
    reseal(extra, document)
    extra.update(id=document["id"], root=None, leaf=None, proof=[], batch_status=None)
    forged["events"].insert(forged["events"].index(head) + 1, extra)
    code, report = recorded.check(forged, "appended")
    assert code == 2, report
    assert "1 chưa neo / pending" in report


def test_an_older_bundle_is_out_of_date_never_accepted(recorded: Recorded) -> None:
    code, report = recorded.check(recorded.old_bundle, "old")
    assert code == 2, report
    assert "Bundle out of date" in report and "Download it again" in report


def test_a_replayed_heads_root_hides_nothing(recorded: Recorded) -> None:
    """The newest event dropped, with the heads root and proofs of the older bundle."""
    forged = copy.deepcopy(recorded.bundle)
    drop(forged, CHILD, 2)
    forged["heads"] = recorded.old_bundle["heads"]
    forged["lots"] = recorded.old_bundle["lots"]
    code, report = recorded.check(forged, "replayed")
    assert code == 2, report
    assert "Bundle out of date" in report


def test_a_root_anchored_on_another_registry_fails_against_the_trusted_one(
    recorded: Recorded,
) -> None:
    forged = copy.deepcopy(recorded.bundle)
    ancestor_edited(forged)
    for item in forged["events"]:
        item["leaf"] = to_hex(leaf_hash(from_hex(item["lot_key"]), from_hex(item["event_hash"])))
    tree = MerkleTree.build([from_hex(item["leaf"]) for item in forged["events"]])
    for item in forged["events"]:
        item["proof"] = [to_hex(node) for node in tree.proof(from_hex(item["leaf"]))]
        item["root"] = to_hex(tree.root)
    recorded.forger.anchor_batch(tree.root, len(forged["events"]))
    forged["chain"]["contract_address"] = recorded.forger.contract_address

    for options in ({}, {"contract": None, "data_dir": recorded.folder / "data"}):
        code, report = recorded.check(forged, "own-registry", **options)
        assert code == 1, report
        assert f"but the trusted registry is {recorded.registry}" in report


def test_without_a_trusted_registry_the_auditor_is_told_to_pass_contract(
    recorded: Recorded,
) -> None:
    code, report = recorded.check(recorded.bundle, "untrusted", contract=None)
    assert code == 2, report
    assert "pass --contract ADDRESS" in report and "hãy truyền --contract" in report


def test_a_wrong_contract_fails(recorded: Recorded) -> None:
    wrong = recorded.forger.contract_address
    code, report = recorded.check(recorded.bundle, "wrong-contract", contract=wrong)
    assert code == 1, report
    assert f"The bundle names contract {recorded.registry}" in report
