"""Rules v2 proof bundles on the in-process chain: which heads root they are made against, and
how the offline checker treats them when the chain moved on or nothing is anchored yet.

tests/security/test_forged_bundles_v2.py forges them against a real anvil node; here the
checker reaches the real contract on eth-tester through the test's ``ClientRegistry``.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from backend.runtime import Runtime
from backend.services.verification.chain_view import ChainView
from backend.services.verification.offline import BundleResult, check_bundle
from backend.services.verification.proof_bundle import build_bundle
from tests.support.app import Actors
from tests.support.ledger_flow import anchor_everything, batches, harvest, note
from tests.verification.test_proof_bundle import ClientRegistry

LOT = "LO-V2"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"event_schema": 2}


def _check(runtime: Runtime, bundle: dict[str, Any]) -> BundleResult:
    chain = runtime.chain
    assert chain is not None
    registry = chain.contract_address
    return check_bundle(bundle, lambda address: ClientRegistry(chain, address), contract=registry)


def _codes(result: BundleResult) -> list[str]:
    return [f.code for f in result.problems + result.notices]


def _offline_bundle(runtime: Runtime, code: str) -> dict[str, Any]:
    """The bundle as a server whose chain node is down makes it."""
    view = ChainView(None, runtime.chain_cache, confirmations=runtime.settings.confirmations)
    with Session(runtime.engine) as session:
        bundle = build_bundle(session, code=code, view=view)
    assert bundle is not None
    return bundle


def test_a_lot_anchored_in_separate_batches_is_proven_complete(
    runtime: Runtime, supply_chain: Actors, client: TestClient
) -> None:
    harvest(supply_chain, LOT)
    anchor_everything(runtime)
    note(supply_chain, LOT, "Tỉa cành")
    anchor_everything(runtime)
    bundle = client.get(f"/api/v1/lots/{LOT}/proof").json()

    result = _check(runtime, bundle)

    assert bundle["format"] == "sentrace/proof-bundle@2" and bundle["heads"]["source"] == "chain"
    assert (bundle["lots"][0]["rules"], bundle["lots"][0]["head_proof"]["head"]["seq"]) == (
        "sentrace/event@2",
        2,
    )
    assert result.exit_code == 0, _codes(result)


def test_without_the_chain_the_bundle_uses_the_lineages_newest_batch_and_ages_with_the_chain(
    runtime: Runtime, supply_chain: Actors
) -> None:
    harvest(supply_chain, LOT)
    anchor_everything(runtime)
    bundle = _offline_bundle(runtime, LOT)
    newest = batches(runtime.engine)[-1]
    assert bundle["heads"] == {
        "heads_root": newest.heads_root,
        "batch_root": newest.root,
        "source": "ledger",
    }
    assert _check(runtime, bundle).exit_code == 0

    harvest(supply_chain, "LO-V2-OTHER")  # another lot's batch moves the chain's heads root
    anchor_everything(runtime)

    result = _check(runtime, bundle)
    assert result.exit_code == 2 and _codes(result) == ["proof_out_of_date"]


def test_a_lot_with_nothing_anchored_has_an_absence_proof_and_reads_pending(
    runtime: Runtime, supply_chain: Actors, client: TestClient
) -> None:
    harvest(supply_chain, "LO-V2-OLD")
    anchor_everything(runtime)
    harvest(supply_chain, LOT)
    bundle = client.get(f"/api/v1/lots/{LOT}/proof").json()
    proof = bundle["lots"][0]["head_proof"]
    assert proof["leaf"] is None and proof["head"] is None

    result = _check(runtime, bundle)

    assert result.exit_code == 2 and _codes(result) == []
    assert [e.outcome for e in result.events] == ["pending"]
