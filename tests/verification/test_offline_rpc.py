"""The offline verifier's registry ABI is the committed artifacts' own, and it reads a live node."""

from __future__ import annotations

from typing import Any

import pytest
from eth_utils import keccak

from backend.chain.anvil import ManagedAnvil
from backend.chain.artifacts import legacy_registry_artifact, registry_artifact
from backend.chain.types import EMPTY_HEADS_ROOT, HeadsUpdate
from backend.hashing import HeadsMap
from backend.services.verification.offline_rpc import (
    BATCH_ANCHORED_TOPIC,
    REGISTRY_ABI,
    RpcRegistry,
)
from tests.support.anvil import demo_client

#: Functions a rules v1 registry (TraceRegistryV1) answers as well.
V1_FUNCTIONS = {"anchorOf", "verify", "isRecalled"}


def without_internal_types(entry: Any) -> Any:
    """An ABI entry without solc's ``internalType`` notes (not part of the interface)."""
    if isinstance(entry, dict):
        return {k: without_internal_types(v) for k, v in entry.items() if k != "internalType"}
    if isinstance(entry, list):
        return [without_internal_types(v) for v in entry]
    return entry


def artifact_entry(abi: list[dict[str, Any]], name: str) -> dict[str, Any]:
    (entry,) = [e for e in abi if e.get("type") == "function" and e.get("name") == name]
    return without_internal_types(entry)  # type: ignore[no-any-return]


@pytest.mark.parametrize("entry", REGISTRY_ABI, ids=lambda e: e["name"])
def test_every_entry_is_the_current_registrys_own(entry: dict[str, Any]) -> None:
    assert artifact_entry(registry_artifact().abi, entry["name"]) == entry


def test_the_functions_a_v1_registry_has_are_unchanged_there() -> None:
    ours = {e["name"]: e for e in REGISTRY_ABI if e["name"] in V1_FUNCTIONS}
    assert set(ours) == V1_FUNCTIONS
    for name, entry in ours.items():
        assert artifact_entry(legacy_registry_artifact().abi, name) == entry


def test_the_batch_anchored_topic_is_the_registrys_event() -> None:
    (event,) = [
        e
        for e in registry_artifact().abi
        if e.get("type") == "event" and e["name"] == "BatchAnchored"
    ]
    types = ",".join(item["type"] for item in event["inputs"])
    assert keccak(text=f"BatchAnchored({types})") == BATCH_ANCHORED_TOPIC
    assert [item["indexed"] for item in event["inputs"]] == [True, True, False]


@pytest.mark.anvil
def test_the_reader_asks_a_live_registry_for_its_heads(anvil_node: ManagedAnvil) -> None:
    chain = demo_client(anvil_node)
    address = chain.deploy_registry()
    lot, head = keccak(text="DT-XOAI-2026-0007"), keccak(text="packing")
    heads = HeadsMap.from_heads([(lot, head, 4)])
    chain.anchor_batch(keccak(text="root"), 4, HeadsUpdate(EMPTY_HEADS_ROOT, heads.root))

    reader = RpcRegistry(anvil_node.url, address)

    assert reader.heads_root() == heads.root
    assert reader.verify_head(lot, head, 4, heads.proof(lot)) is True
    assert reader.verify_head(lot, head, 3, heads.proof(lot)) is False
    absent = keccak(text="DT-XOAI-2026-0008")
    assert reader.verify_no_head(absent, heads.proof(absent)) is True
    assert reader.heads_root_block(heads.root) == chain.block_number()
    assert reader.heads_root_block(keccak(text="never")) is None
    assert reader.code_hash() == keccak(bytes(chain.w3.eth.get_code(address)))


@pytest.mark.anvil
def test_the_reader_asks_a_live_registry_who_signs_and_when_a_root_was_anchored(
    anvil_node: ManagedAnvil,
) -> None:
    chain = demo_client(anvil_node)
    address = chain.deploy_registry()
    org, signer = keccak(text="htx"), "0x" + "ab" * 20
    reader = RpcRegistry(anvil_node.url, address)
    assert reader.signer_of(org, signer) == (0, 0, 0)
    assert reader.anchor_timestamp(keccak(text="root")) == 0

    chain.set_signer(org, signer, active=True, custody=3)
    since = chain.w3.eth.get_block("latest")["timestamp"]
    chain.anchor_batch(keccak(text="root"), 1)
    chain.set_signer(org, signer, active=False)
    until = chain.w3.eth.get_block("latest")["timestamp"]

    assert reader.signer_of(org, signer) == (since, until, 3)
    assert since <= reader.anchor_timestamp(keccak(text="root")) <= until
    assert reader.signer_of(keccak(text="htx2"), signer) == (0, 0, 0)
