"""A lot's EPCIS export, plus a chain, proves each of its events (docs/epcis.md): the document
hashes to its eventHash, the contract folds the Merkle proof to an anchored batch root, and the
contract recovers the signature to a key of the document's organisation active at anchoring."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.app import create_app
from backend.chain import ChainClient
from backend.hashing import from_hex, keccak, lot_key, org_key
from backend.runtime import Runtime
from tests.web.conftest import consumer_world
from tests.web.scenario import CHILD, VERIFIED


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, dict[str, Any]]]:
    with consumer_world(tmp_path_factory.mktemp("epcis-proof")) as runtime:
        with TestClient(create_app(runtime)) as client:
            document = client.get(f"/api/v1/lots/{CHILD}/epcis?ancestry=true").json()
        yield runtime, document


def _proves(chain: ChainClient, proof: dict[str, Any], event_hash: bytes) -> bool:
    """What anyone with the export and a node can check, through the contract's own views."""
    document = json.loads(proof["document"])
    lot, root = lot_key(proof["lot"]), from_hex(proof["batchRoot"])
    steps = [from_hex(step) for step in proof["merkleProof"]]
    folds = chain.verify(steps, root, lot, event_hash)
    signed = chain.verify_event_signature(
        root, org_key(document["org"]), lot, proof["seq"], event_hash, proof["signature"]
    )
    return folds and signed


def test_every_exported_event_proves_itself_on_chain(
    exported: tuple[Runtime, dict[str, Any]],
) -> None:
    runtime, document = exported
    chain = runtime.require_chain()
    events = document["epcisBody"]["eventList"]
    assert {e["sentrace:proof"]["lot"] for e in events} == {CHILD, VERIFIED}
    for event in events:
        proof = event["sentrace:proof"]
        event_hash = keccak(proof["document"].encode("utf-8"))
        assert event_hash == from_hex(proof["eventHash"])
        assert proof["registry"] == chain.contract_address
        assert _proves(chain, proof, event_hash), proof["lot"]


def test_an_edited_document_or_a_borrowed_proof_does_not_prove(
    exported: tuple[Runtime, dict[str, Any]],
) -> None:
    runtime, document = exported
    chain = runtime.require_chain()
    first, second = (e["sentrace:proof"] for e in document["epcisBody"]["eventList"][:2])
    edited = first["document"].replace('"seq":', '"seq": ', 1)
    assert keccak(edited.encode("utf-8")) != from_hex(first["eventHash"])
    # The second event's hash with the first event's proof folds to no anchored root.
    borrowed = {**first, "seq": second["seq"]}
    assert not _proves(chain, borrowed, from_hex(second["eventHash"]))
