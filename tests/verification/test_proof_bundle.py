"""The proof bundle and the offline checker, against the registry on the in-process chain.

The checker reaches the chain through its ``Registry`` seam; here that seam is the real
contract on eth-tester (tests/e2e drives the same checker over JSON-RPC against anvil).

The bundle tests run for both formats: ``sentrace/proof-bundle@2`` for lots recorded under
rules v2 (the default), ``sentrace/proof-bundle@1`` for lots recorded under rules v1 before an
upgrade, which must stay checkable. Where the rules make a forgery read differently, the
expectation says why (docs/proof-rules.md).
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
from backend.services.verification.proof_bundle import BUNDLE_FORMAT, BUNDLE_FORMAT_V2
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

    def anchor_timestamp(self, root: bytes) -> int:
        anchor = self.chain.anchor_of(root)
        return 0 if anchor is None else anchor.timestamp

    def signer_of(self, org_key: bytes, signer: str) -> tuple[int, int, int]:
        record = self.chain.signer_of(org_key, signer)
        return record.since, record.until, record.custody

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


@pytest.fixture(
    params=[
        pytest.param(1, marks=pytest.mark.event_schema(1), id="v1"),
        pytest.param(2, marks=pytest.mark.event_schema(2), id="v2"),
    ]
)
def rules(request: pytest.FixtureRequest) -> int:
    """The proof rules the test's events are recorded under (its ``event_schema`` mark)."""
    version: int = request.param
    return version


@pytest.fixture
def bundle(
    rules: int, runtime: Runtime, supply_chain: Actors, client: TestClient
) -> dict[str, Any]:
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
    runtime: Runtime, bundle: dict[str, Any], rules: int
) -> None:
    """A v2 bundle also names its rules and proves each lot's head against the chain's heads
    root, so that the checker can tell that no document was left out."""
    assert bundle["format"] == (BUNDLE_FORMAT_V2 if rules == 2 else BUNDLE_FORMAT)
    assert bundle["rules"] == f"sentrace/event@{rules}" and bundle["lot"] == "LO-1A"
    assert bundle["chain"]["contract_address"] == runtime.chain.contract_address  # type: ignore[union-attr]
    assert [(lot["code"], lot["relation"]) for lot in bundle["lots"]] == [
        ("LO-1A", "self"),
        ("LO-1", "ancestor"),
    ]
    if rules == 2:
        assert bundle["heads"]["heads_root"] == to_hex(runtime.chain.heads_root())  # type: ignore[union-attr]
        heads = {lot["code"]: (lot["rules"], lot["head_proof"]["head"]["seq"])
                 for lot in bundle["lots"]}  # fmt: skip
        assert heads == {"LO-1A": ("sentrace/event@2", 2), "LO-1": ("sentrace/event@2", 2)}
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


def _edit_stored_bytes(bundle: dict[str, Any]) -> None:
    """The document and its bytes edited together, the event hash left as anchored."""
    entry = bundle["events"][0]
    entry["document"]["data"]["text"] = "Đóng thùng 12 kg"
    raw = canonical_bytes(entry["document"])
    entry["canonical_json"], entry["canonical_hex"] = raw.decode(), to_hex(raw)


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


def _next_in_lot(bundle: dict[str, Any], entry: dict[str, Any]) -> str:
    """The id of the event after ``entry`` in its lot (rules v2: the one naming it in ``prev``)."""
    seq = entry["document"]["seq"]
    return str(next(e["id"] for e in bundle["events"]
                    if e["lot"] == entry["lot"] and e["document"]["seq"] == seq + 1))  # fmt: skip


#: Edit → (finding under rules v1, finding under rules v2, whether the edit changes the hash
#: of the bytes, which the next event's ``prev`` is checked against). Under v1 the document is
#: what is hashed; under v2 the stored bytes are, and the ``document`` beside them is only their
#: readable copy, so editing it alone is a document that differs from the bytes
#: (docs/proof-rules.md 3.5); editing the bytes too is a hash mismatch under both rules.
FORGED_EDITS = {
    "document": (_edit_document, "proof_hash_mismatch", "proof_document_mismatch", False),
    "stored-bytes": (_edit_stored_bytes, "proof_hash_mismatch", "proof_hash_mismatch", True),
    "proof": (_edit_proof, "proof_path_fails", "proof_path_fails", False),
    "root": (_edit_root, "proof_path_fails", "proof_path_fails", False),
    "everything": (_edit_everything_consistently, "proof_root_absent", "proof_root_absent", True),
}


@pytest.mark.parametrize("name", list(FORGED_EDITS))
def test_a_forged_bundle_fails_with_a_reason(
    runtime: Runtime, bundle: dict[str, Any], rules: int, name: str
) -> None:
    """Only the forged event fails, except that under rules v2 bytes that hash differently
    break the link of the lot's next event, whose ``prev`` still names the anchored hash
    (docs/proof-rules.md 3.1, 7 step 5)."""
    edit, code_v1, code_v2, rehashed = FORGED_EDITS[name]
    forged = copy.deepcopy(bundle)
    edit(forged)

    result = _check(runtime, forged)

    first, *rest = result.events
    assert first.outcome is Outcome.FAILED
    assert (code_v2 if rules == 2 else code_v1) in [f.code for f in first.findings]
    relinked = _next_in_lot(forged, forged["events"][0]) if rules == 2 and rehashed else None
    for event in rest:
        if event.id == relinked:
            assert event.outcome is Outcome.FAILED
            assert [f.code for f in event.findings] == ["proof_broken_link"]
        else:
            assert event.outcome is Outcome.VALID, (event.id, event.findings)
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

    anchor_everything(runtime)  # the organisations' keys reach the chain: events may be batched
    harvest(supply_chain, "LO-3")
    assert build_batch(runtime.engine, max_events=10, max_delay_s=0, force=True) is not None
    bundle = client.get("/api/v1/lots/LO-3/proof").json()
    assert bundle["events"][0]["batch_status"] == "pending" and bundle["events"][0]["root"]

    result = _check(runtime, bundle)

    assert [e.outcome for e in result.events] == [Outcome.PENDING]
    assert result.exit_code == 2
