"""The proof bundle and the offline checker, against the registry on the in-process chain.

The checker reaches the chain through its ``Registry`` seam; here that seam is the real
contract on eth-tester (tests/e2e drives the same checker over JSON-RPC against anvil).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.chain import ChainClient
from backend.hashing import canonical_bytes, keccak, lot_key, to_hex
from backend.runtime import Runtime
from backend.services.verification.offline import BundleResult, Outcome, check_bundle, render, run
from backend.services.verification.offline_rpc import BATCH_ANCHORED_TOPIC, HeadProofArgs
from backend.services.verification.proof_bundle import BUNDLE_FORMAT
from tests.support.app import Actors
from tests.support.ledger_flow import anchor_everything, harvest, note


class ClientRegistry:
    """The checker's view of the chain, served by the real contract through a ChainClient."""

    def __init__(self, chain: ChainClient, address: str) -> None:
        self.chain = chain
        self.address = address
        self.rpc_url = chain.endpoint

    def chain_id(self) -> int:
        return self.chain.chain_id

    def has_code(self) -> bool:
        return len(self.chain.w3.eth.get_code(self.address)) > 0  # type: ignore[arg-type]

    def is_anchored(self, root: bytes) -> bool:
        return self.chain.anchor_of(root) is not None

    def verify(self, proof: Sequence[bytes], root: bytes, lot_key: bytes, event: bytes) -> bool:
        return self.chain.verify(list(proof), root, lot_key, event)

    def is_recalled(self, lot_key: bytes) -> bool:
        return self.chain.is_recalled(lot_key)

    def code_hash(self) -> bytes:
        return keccak(bytes(self.chain.w3.eth.get_code(self.address)))  # type: ignore[arg-type]

    def heads_root(self) -> bytes:
        return self.chain.heads_root()

    def verify_head(self, lot_key: bytes, head: bytes, seq: int, proof: HeadProofArgs) -> bool:
        return self.chain.verify_head(lot_key, head, seq, proof)

    def verify_no_head(self, lot_key: bytes, proof: HeadProofArgs) -> bool:
        return self.chain.verify_no_head(lot_key, proof)

    def heads_root_block(self, heads_root: bytes, *, from_block: int = 0) -> int | None:
        logs = self.chain.w3.eth.get_logs(
            {"address": self.address, "fromBlock": from_block,  # type: ignore[typeddict-item]
             "topics": [BATCH_ANCHORED_TOPIC, None, heads_root]}
        )  # fmt: skip
        return min((int(log["blockNumber"]) for log in logs), default=None)


@pytest.fixture
def bundle(runtime: Runtime, supply_chain: Actors, client: TestClient) -> dict[str, Any]:
    harvest(supply_chain, "LO-1")
    supply_chain.post(
        "/api/v1/lots/LO-1/split", "htx", {"children": [{"code": "LO-1A", "quantity": "250"}]}
    )
    note(supply_chain, "LO-1A", "Đóng thùng 10 kg")
    anchor_everything(runtime)
    response = client.get("/api/v1/lots/LO-1A/proof")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _check(runtime: Runtime, bundle: dict[str, Any]) -> BundleResult:
    assert runtime.chain is not None
    chain = runtime.chain
    return check_bundle(
        bundle, lambda address: ClientRegistry(chain, address), contract=chain.contract_address
    )


def test_the_bundle_carries_everything_needed_to_recompute_each_event(
    runtime: Runtime, bundle: dict[str, Any]
) -> None:
    assert bundle["format"] == BUNDLE_FORMAT and bundle["lot"] == "LO-1A"
    assert bundle["chain"]["contract_address"] == runtime.chain.contract_address  # type: ignore[union-attr]
    assert [(lot["code"], lot["relation"]) for lot in bundle["lots"]] == [
        ("LO-1A", "self"),
        ("LO-1", "ancestor"),
    ]
    assert {e["lot"] for e in bundle["events"]} == {"LO-1", "LO-1A"}
    for entry in bundle["events"]:
        raw = canonical_bytes(entry["document"])
        assert entry["canonical_json"].encode() == raw
        assert entry["canonical_hex"] == to_hex(raw)
        assert entry["event_hash"] == to_hex(keccak(raw))
        assert entry["lot_key"] == to_hex(lot_key(entry["lot"]))
        assert entry["root"] and entry["tx_hash"] and entry["proof"] is not None
    assert {m["status"] for m in bundle["milestones"]} == {"confirmed"}


def test_a_genuine_bundle_holds_event_by_event(runtime: Runtime, bundle: dict[str, Any]) -> None:
    result = _check(runtime, bundle)

    assert [e.outcome for e in result.events] == [Outcome.VALID] * len(bundle["events"])
    assert result.exit_code == 0
    assert "HỢP LỆ / VALID" in render(result, rpc="memory")


def _edit_document(bundle: dict[str, Any]) -> None:
    bundle["events"][0]["document"]["data"]["text"] = "Đóng thùng 12 kg"


def _edit_proof(bundle: dict[str, Any]) -> None:
    bundle["events"][0]["proof"] = ["0x" + "11" * 32, *bundle["events"][0]["proof"]]


def _edit_root(bundle: dict[str, Any]) -> None:
    bundle["events"][0]["root"] = "0x" + "44" * 32


def _edit_everything_consistently(bundle: dict[str, Any]) -> None:
    """An attacker who recomputes hash, leaf and a one-leaf 'tree' still lacks an anchor."""
    from backend.hashing import leaf_hash

    entry = bundle["events"][0]
    entry["document"]["data"]["text"] = "Đóng thùng 12 kg"
    raw = canonical_bytes(entry["document"])
    entry["canonical_json"], entry["canonical_hex"] = raw.decode(), to_hex(raw)
    entry["event_hash"] = to_hex(keccak(raw))
    leaf = leaf_hash(lot_key(entry["lot"]), keccak(raw))
    entry["leaf"], entry["proof"], entry["root"] = to_hex(leaf), [], to_hex(leaf)


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (_edit_document, "proof_hash_mismatch"),
        (_edit_proof, "proof_path_fails"),
        (_edit_root, "proof_path_fails"),
        (_edit_everything_consistently, "proof_root_absent"),
    ],
)
def test_a_forged_bundle_fails_with_a_reason(
    runtime: Runtime, bundle: dict[str, Any], edit: Any, code: str
) -> None:
    forged = copy.deepcopy(bundle)
    edit(forged)

    result = _check(runtime, forged)

    first, *rest = result.events
    assert first.outcome is Outcome.FAILED
    assert code in [f.code for f in first.findings]
    assert {e.outcome for e in rest} == {Outcome.VALID}
    assert result.exit_code == 1
    report = render(result, rpc="memory")
    assert "SAI / FAILED" in report and first.id in report


def test_a_bundle_from_another_chain_fails(runtime: Runtime, bundle: dict[str, Any]) -> None:
    bundle["chain"]["chain_id"] = 1
    result = _check(runtime, bundle)
    assert [p.code for p in result.problems] == ["proof_chain_id_mismatch"]
    assert result.exit_code == 1


def test_unanchored_events_leave_the_check_incomplete(
    runtime: Runtime, supply_chain: Actors, client: TestClient
) -> None:
    harvest(supply_chain, "LO-2")
    bundle = client.get("/api/v1/lots/LO-2/proof").json()

    result = _check(runtime, bundle)

    assert [e.outcome for e in result.events] == [Outcome.PENDING]
    assert result.exit_code == 2


def test_a_file_that_is_not_a_bundle_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps({"format": "something else"}), encoding="utf-8")

    code, report = run(path, rpc="http://127.0.0.1:9")

    assert code == 1
    assert "không phải là gói bằng chứng" in report and "not a valid SenTrace proof" in report


def test_a_batch_not_yet_on_chain_leaves_its_events_pending_not_failed(
    runtime: Runtime, supply_chain: Actors, client: TestClient
) -> None:
    from backend.services.anchoring.batching import build_batch

    harvest(supply_chain, "LO-3")
    assert build_batch(runtime.engine, max_events=10, max_delay_s=0, force=True) is not None
    bundle = client.get("/api/v1/lots/LO-3/proof").json()
    assert bundle["events"][0]["batch_status"] == "pending" and bundle["events"][0]["root"]

    result = _check(runtime, bundle)

    assert [e.outcome for e in result.events] == [Outcome.PENDING]
    assert result.exit_code == 2
