"""The chain client after ``sentrace upgrade``: a retired v1 registry stays readable.

Its anchors are read at its own address with the v1 ABI (whose ``BatchAnchored`` log has no
heads root), a recall on it counts, and the runtime finds it again after a restart through
the list kept beside its registry record, even when the configured address still names it.
The deployment record lists it too (``retired``), for auditors; a record from before that
list reads as listing none, and the next upgrade run fills the list in.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account
from eth_utils import keccak
from web3.contract import Contract

from backend.chain import ChainClient, ChainConfigError
from backend.chain.artifacts import registry_artifact
from backend.chain.deployment import (
    BuildFacts,
    Deployment,
    RetiredRegistry,
    read_deployment,
    remember_file,
    write_deployment,
)
from backend.chain.legacy import Retired, read_retired, retired_file, write_retired
from backend.chain.providers import fund_from_tester, memory_web3
from backend.chain.types import EMPTY_HEADS_ROOT
from backend.services.anchoring.upgrade.registry import switch_registry
from backend.services.verification.offline_trust import trusted_registry
from tests.anchoring.upgrade_support import V1_SENDER, deploy_v1

ROOT = keccak(text="a v1 batch")
LOT = keccak(text="LO-R")


@pytest.fixture
def v1_and_client() -> tuple[Contract, ChainClient]:
    """A v1 registry holding one anchor and one recall, and a client on a new v2 registry."""
    w3 = memory_web3()
    registry = deploy_v1(w3)
    sender = {"from": w3.eth.accounts[V1_SENDER]}
    w3.eth.wait_for_transaction_receipt(registry.functions.anchorBatch(ROOT, 3).transact(sender))
    w3.eth.wait_for_transaction_receipt(registry.functions.recall(LOT, LOT).transact(sender))
    account = Account.create()
    fund_from_tester(w3, account.address)
    client = ChainClient(w3, account, endpoint="memory", poll_interval=0.01)
    client.deploy_registry()
    return registry, client


def test_a_retired_registry_answers_for_the_anchors_it_holds(
    v1_and_client: tuple[Contract, ChainClient],
) -> None:
    registry, client = v1_and_client
    assert client.anchor_of(ROOT) is None
    assert client.registry_for(registry.address) is client  # not retired yet

    client.retire(registry.address)
    client.retire(registry.address.lower())  # once is enough

    old = client.registry_for(registry.address.lower())
    assert [r.contract_address for r in client.legacy_registries] == [registry.address]
    assert old is client.legacy_registries[0]
    info, where = old.anchor_of(ROOT), old.anchor_receipt(ROOT)
    assert info is not None and info.event_count == 3
    assert where is not None and where.heads_root == EMPTY_HEADS_ROOT
    assert client.registry_for(client.contract_address) is client
    assert client.registry_for(None) is client


def test_a_recall_on_a_retired_registry_counts(
    v1_and_client: tuple[Contract, ChainClient],
) -> None:
    registry, client = v1_and_client
    assert client.is_recalled(LOT) is False
    client.retire(registry.address)
    assert client.is_recalled(LOT) is True


def test_a_restart_finds_the_retired_registry_even_when_configured_by_its_address(
    v1_and_client: tuple[Contract, ChainClient], tmp_path: Path
) -> None:
    registry, client = v1_and_client
    record = remember_file(tmp_path, client.chain_id)
    write_retired(record, [Retired(registry.address, 1)])
    assert client.last_deployment is not None
    write_deployment(record, client.last_deployment)
    restarted = ChainClient(client.w3, Account.create(), endpoint="memory")

    attached = restarted.ensure_registry(registry.address, remember_file=record)

    assert attached == client.contract_address
    assert [(r.contract_address, r.from_block) for r in restarted.legacy_registries] == [
        (registry.address, 1)
    ]
    assert read_retired(record) == (Retired(registry.address, 1),)


def test_an_unreadable_list_of_retired_registries_stops_the_start(tmp_path: Path) -> None:
    record = remember_file(tmp_path, 1)
    assert read_retired(record) == ()
    retired_file(record).write_text("{not json", encoding="utf-8")
    with pytest.raises(ChainConfigError, match="retired registries"):
        read_retired(record)


def test_a_retired_registry_whose_code_is_gone_holds_nothing(
    v1_and_client: tuple[Contract, ChainClient],
) -> None:
    _, client = v1_and_client
    gone = Account.create().address  # no code there, as after a development chain's reset
    client.retire(gone)
    assert client.registry_for(gone).anchor_of(ROOT) is None
    assert client.is_recalled(LOT) is False


def test_a_deployment_record_without_a_retired_list_still_loads(tmp_path: Path) -> None:
    build = BuildFacts.of(registry_artifact())
    data, chain_id, address = tmp_path / "data", 31337, Account.create().address
    path = remember_file(data, chain_id)
    path.parent.mkdir()
    written_before = {"chain_id": chain_id, "address": address, "block_number": 5, "contract": {
        "name": build.name, "compiler": build.compiler, "source_hash": build.source_hash,
        "bytecode_hash": build.bytecode_hash,
        "deployed_bytecode_hash": build.deployed_bytecode_hash,
    }}  # fmt: skip
    path.write_text(json.dumps(written_before), encoding="utf-8")

    record = read_deployment(path, chain_id)
    trusted = trusted_registry(chain_id, contract=None, data_dir=data)

    assert record is not None and record == Deployment(chain_id, address, 5, contract=build)
    assert record.retired == ()
    assert trusted is not None and trusted.address == address and trusted.retired == ()
    write_deployment(path, record)  # written again, it reads as it did: no empty list added
    assert json.loads(path.read_text(encoding="utf-8")) == written_before


def test_a_record_lists_its_retired_registries_and_the_verifier_trusts_them(
    tmp_path: Path,
) -> None:
    old_build = BuildFacts.of(registry_artifact())
    old, older = Account.create().address, Account.create().address
    retired = (
        RetiredRegistry(older, 2),
        RetiredRegistry(old, 3, retired_at_block=9, contract=old_build),
    )
    path = remember_file(tmp_path, 31337)
    write_deployment(path, Deployment(31337, Account.create().address, 9, retired=retired))

    record = read_deployment(path, 31337)
    trusted = trusted_registry(31337, contract=None, data_dir=tmp_path)

    assert record is not None and record.retired == retired
    assert "retired_at_block" not in json.loads(path.read_text())["retired"][0]
    assert trusted is not None
    assert [(r.address, r.from_block, r.source) for r in trusted.retired] == [
        (older, 2, str(path)),
        (old, 3, str(path)),
    ]
    assert trusted.retired[0].code_hash is None and trusted.retired[1].code_hash is not None


def test_a_record_that_does_not_list_its_retired_registries_gets_them_on_the_next_run(
    v1_and_client: tuple[Contract, ChainClient], tmp_path: Path
) -> None:
    registry, client = v1_and_client
    client.retire(registry.address, from_block=1)
    record = remember_file(tmp_path, client.chain_id)
    assert client.last_deployment is not None
    write_deployment(record, client.last_deployment)  # as an earlier upgrade left it

    assert switch_registry(client, remember_file=record) is None  # already v2: nothing deployed

    remembered = read_deployment(record, client.chain_id)
    assert remembered is not None and remembered.address == client.contract_address
    assert remembered.retired == (RetiredRegistry(registry.address, 1),)
    before = record.read_text()
    switch_registry(client, remember_file=record)
    assert record.read_text() == before  # listed once, never twice
