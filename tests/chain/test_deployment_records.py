"""Deployment records: written at deployment, kept in the data folder, published only for chains
that are not development chains, and read back by the runtime and by auditors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account
from eth_utils import keccak

from backend.chain import deployment as deployments
from backend.chain.artifacts import registry_artifact
from backend.chain.client import ChainClient
from backend.chain.deployment import (
    DEFAULT_ADMIN_DELAY_S,
    BuildFacts,
    Deployment,
    deployment_roles,
    is_dev_chain,
    publish_deployment,
    read_deployment,
    remember_file,
    write_deployment,
)
from backend.config import DEMO_ANCHOR_PRIVATE_KEY

ADDRESS = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
ADMIN = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"


@pytest.fixture
def published(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """contracts/deployments/ moved to a temporary folder, so no test writes into the repo."""
    folder = tmp_path / "published"
    monkeypatch.setattr(deployments, "PUBLISHED_DIR", folder)
    return folder


def test_a_deployment_keeps_its_full_record_in_the_data_folder_only_on_a_dev_chain(
    tmp_path: Path, published: Path
) -> None:
    client = ChainClient.in_memory(Account.from_key(DEMO_ANCHOR_PRIVATE_KEY))
    path = remember_file(tmp_path, client.chain_id)

    address = client.ensure_registry(None, remember_file=path)

    record = json.loads(path.read_text(encoding="utf-8"))
    artifact = registry_artifact()
    assert record["address"] == address and record["chain_id"] == client.chain_id
    assert record["deployer"] == client.signer
    receipt = client.w3.eth.get_transaction_receipt(record["tx_hash"])
    assert receipt["contractAddress"] == address
    assert record["block_number"] == receipt["blockNumber"]
    assert record["contract"]["name"] == "TraceRegistry"
    assert record["contract"]["source_hash"] == artifact.source_hash
    code = bytes(client.w3.eth.get_code(address))
    assert record["contract"]["deployed_bytecode_hash"] == "0x" + keccak(code).hex()
    assert is_dev_chain(client.chain_id) and not published.exists()
    # On a development chain the signer is admin and operator, and the admin delay is zero.
    assert (record["admin"], record["operator"], record["admin_delay"]) == (
        client.signer,
        client.signer,
        0,
    )


def test_a_record_for_a_public_chain_is_published_and_read_back(published: Path) -> None:
    record = Deployment(
        chain_id=84532,
        address=ADDRESS,  # type: ignore[arg-type]
        block_number=123,
        tx_hash="0x" + "ab" * 32,
        deployer=ADDRESS,  # type: ignore[arg-type]
        contract=BuildFacts.of(registry_artifact()),
        admin=ADMIN,  # type: ignore[arg-type]
        operator=ADDRESS,  # type: ignore[arg-type]
        admin_delay=DEFAULT_ADMIN_DELAY_S,
    )
    path = publish_deployment(record)
    assert path == published / "84532.json"
    assert read_deployment(path, 84532) == record
    assert read_deployment(path, 1) is None  # another chain's record is never used


def test_a_dev_chain_record_is_never_published(published: Path) -> None:
    record = Deployment(chain_id=31337, address=ADDRESS, block_number=1)  # type: ignore[arg-type]
    assert publish_deployment(record) is None
    assert not published.exists()


def test_a_record_from_before_deployment_records_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "contract-31337.json"
    path.write_text(json.dumps({"chain_id": 31337, "address": ADDRESS, "block_number": 7}))
    assert read_deployment(path, 31337) == Deployment(31337, ADDRESS, 7)  # type: ignore[arg-type]
    write_deployment(path, Deployment(31337, ADDRESS, 7))  # type: ignore[arg-type]
    assert json.loads(path.read_text()) == {
        "chain_id": 31337,
        "address": ADDRESS,
        "block_number": 7,
    }


def test_roles_default_to_the_signer_without_delay_on_a_development_chain() -> None:
    roles = deployment_roles(31337, ADDRESS)  # type: ignore[arg-type]
    assert (roles.admin, roles.operator, roles.admin_delay) == (ADDRESS, ADDRESS, 0)


def test_roles_on_a_network_wait_two_days_and_warn_when_the_admin_is_the_signer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    roles = deployment_roles(84532, ADDRESS, admin=ADMIN.lower())  # type: ignore[arg-type]
    assert (roles.admin, roles.operator, roles.admin_delay) == (ADMIN, ADDRESS, 2 * 24 * 3600)
    assert "is the anchor key" not in caplog.text
    same = deployment_roles(84532, ADDRESS, admin_delay=60)  # type: ignore[arg-type]
    assert (same.admin, same.admin_delay) == (ADDRESS, 60)
    assert f"registry admin {ADDRESS} is the anchor key on chain 84532" in caplog.text


@pytest.mark.parametrize(("admin", "delay"), [("0x1234", None), (None, -1), (None, 2**48)])
def test_roles_refuse_a_bad_admin_or_delay(admin: str | None, delay: int | None) -> None:
    with pytest.raises(ValueError):
        deployment_roles(84532, ADDRESS, admin=admin, admin_delay=delay)  # type: ignore[arg-type]


def test_the_client_deploys_with_the_admin_it_is_given(tmp_path: Path) -> None:
    client = ChainClient.in_memory(Account.from_key(DEMO_ANCHOR_PRIVATE_KEY))
    client.deploy_admin, client.deploy_admin_delay = ADMIN, 3600
    address = client.deploy_registry()
    registry = client.w3.eth.contract(address=address, abi=registry_artifact().abi)
    assert registry.functions.defaultAdmin().call() == ADMIN
    assert registry.functions.defaultAdminDelay().call() == 3600
    assert registry.functions.hasRole(keccak(text="ANCHORER_ROLE"), client.signer).call()
    assert not registry.functions.hasRole(bytes(32), client.signer).call()
    record = client.last_deployment
    assert record is not None and (record.admin, record.operator) == (ADMIN, client.signer)
