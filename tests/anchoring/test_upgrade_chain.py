"""The chain client after ``sentrace upgrade``: a retired v1 registry stays readable.

Its anchors are read at its own address with the v1 ABI (whose ``BatchAnchored`` log has no
heads root), a recall on it counts, and the runtime finds it again after a restart through
the list kept beside its registry record, even when the configured address still names it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account
from eth_utils import keccak
from web3.contract import Contract

from backend.chain import ChainClient, ChainConfigError
from backend.chain.deployment import remember_file, write_deployment
from backend.chain.legacy import Retired, read_retired, retired_file, write_retired
from backend.chain.providers import fund_from_tester, memory_web3
from backend.chain.types import EMPTY_HEADS_ROOT
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
