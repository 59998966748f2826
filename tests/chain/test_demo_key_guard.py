"""The demo key signs on development chains only, and a registry is never deployed in place of
one that shows no code.

A real anvil started with another chain id (84532, Base Sepolia's) stands in for a real
network: the guard must go by the id the node reports, not by ``SENTRACE_ENV``. Production
needs the registry address and never deploys; a configured (or, on a real network,
remembered) address without code is refused with what to check, and nothing is sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from pydantic import SecretStr

from backend.chain import deployment as deployments
from backend.chain.anvil import ManagedAnvil
from backend.chain.client import ChainClient
from backend.chain.errors import ChainConfigError, ContractNotFound
from backend.chain.providers import http_web3
from backend.chain.signer import DEMO_ANCHOR_ADDRESS
from backend.config import DEMO_ANCHOR_PRIVATE_KEY, Environment, Settings
from backend.runtime import Runtime
from tests.support.anvil import start_anvil

pytestmark = pytest.mark.anvil

#: A chain id no development chain uses.
NETWORK_CHAIN_ID = 84_532
#: anvil's account #1: prefunded on any anvil, so it can deploy there; not the guarded key.
OTHER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
OTHER_ADDRESS = Account.from_key(OTHER_KEY).address
#: An address that holds no code on a fresh anvil (not one of its prefunded accounts either).
NO_CODE = "0x00000000000000000000000000000000DeaDBeef"
SESSION_SECRET = "5e" * 32


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagedAnvil]:
    """An anvil answering for chain 84532: a real network as far as the node can tell."""
    node = start_anvil(tmp_path_factory.mktemp("network"), chain_id=NETWORK_CHAIN_ID)
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(autouse=True)
def published(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Deployment records of non-development chains go to a temporary folder, not the repo."""
    folder = tmp_path / "published"
    monkeypatch.setattr(deployments, "PUBLISHED_DIR", folder)
    return folder


def sent_by(node: ManagedAnvil, address: str) -> int:
    """How many transactions ``address`` has sent on ``node`` (mined or pending)."""
    return int(http_web3(node.url).eth.get_transaction_count(address, "pending"))  # type: ignore[arg-type]


def production(tmp_path: Path, url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": Environment.PRODUCTION,
        "data_dir": tmp_path / "data",
        "chain_rpc_url": url,
        "anchor_private_key": SecretStr(OTHER_KEY),
        "session_secret": SecretStr(SESSION_SECRET),
        "worker_enabled": False,
        **overrides,
    }
    return Settings(**values)


# ------------------------------------------------------------------------------ demo key


@pytest.mark.parametrize("env", [Environment.DEVELOPMENT, Environment.TEST])
def test_the_default_demo_key_is_refused_on_a_network_chain_id_whatever_the_env(
    network: ManagedAnvil, env: Environment
) -> None:
    client = ChainClient.from_settings(Settings(env=env, chain_rpc_url=network.url))
    assert client.signer == DEMO_ANCHOR_ADDRESS and client.is_connected()
    before = sent_by(network, DEMO_ANCHOR_ADDRESS)

    with pytest.raises(ChainConfigError) as refused:
        client.ensure_registry(None)

    text = str(refused.value)
    assert "public development key" in text and str(NETWORK_CHAIN_ID) in text
    assert "SENTRACE_ANCHOR_KEYSTORE" in text
    assert DEMO_ANCHOR_PRIVATE_KEY[2:] not in text
    with pytest.raises(ChainConfigError):  # the refusal is not cached away
        _ = client.chain_id
    assert sent_by(network, DEMO_ANCHOR_ADDRESS) == before


def test_the_demo_key_given_explicitly_is_refused_there_too(network: ManagedAnvil) -> None:
    settings = Settings(
        env=Environment.DEVELOPMENT,
        chain_rpc_url=network.url,
        anchor_private_key=SecretStr(DEMO_ANCHOR_PRIVATE_KEY),
    )
    with pytest.raises(ChainConfigError, match="public development key"):
        ChainClient.from_settings(settings).deploy_registry()


def test_the_server_refuses_to_start_with_the_demo_key_on_a_network(
    network: ManagedAnvil, tmp_path: Path
) -> None:
    settings = Settings(
        env=Environment.DEVELOPMENT,
        data_dir=tmp_path / "data",
        chain_rpc_url=network.url,
        worker_enabled=False,
    )
    before = sent_by(network, DEMO_ANCHOR_ADDRESS)
    with pytest.raises(ChainConfigError, match=f"refused on chain {NETWORK_CHAIN_ID}"):
        Runtime.start(settings)
    assert sent_by(network, DEMO_ANCHOR_ADDRESS) == before
    assert not list((tmp_path / "data").glob("contract-*.json"))


def test_another_key_signs_on_the_same_network(network: ManagedAnvil, tmp_path: Path) -> None:
    settings = Settings(chain_rpc_url=network.url, anchor_private_key=SecretStr(OTHER_KEY))
    client = ChainClient.from_settings(settings)
    address = client.ensure_registry(None, remember_file=client.remember_file(tmp_path))
    assert client.chain_id == NETWORK_CHAIN_ID
    assert len(client.w3.eth.get_code(address)) > 0


def test_the_demo_key_is_accepted_on_anvil_31337(anvil_node: ManagedAnvil) -> None:
    client = ChainClient.from_settings(Settings(chain_rpc_url=anvil_node.url))
    assert client.signer == DEMO_ANCHOR_ADDRESS
    assert client.chain_id == 31337
    address = client.ensure_registry(None)
    assert len(client.w3.eth.get_code(address)) > 0


def test_the_demo_key_is_accepted_on_the_in_memory_chain() -> None:
    client = ChainClient.from_settings(Settings(chain_rpc_url="memory"))
    assert client.chain_id not in (31337, 1337)  # eth-tester's own id: allowed as in process
    assert client.ensure_registry(None) == client.contract_address


# ---------------------------------------------------------------------- registry address


def test_production_without_a_registry_address_is_refused_before_any_call(
    tmp_path: Path,
) -> None:
    settings = production(tmp_path, "http://127.0.0.1:9")  # nothing listens: never asked
    with pytest.raises(ChainConfigError, match="SENTRACE_CONTRACT_ADDRESS") as refused:
        Runtime.start(settings)
    assert "sentrace deploy-registry" in str(refused.value)


def test_production_never_deploys_where_the_configured_address_has_no_code(
    network: ManagedAnvil, tmp_path: Path, published: Path
) -> None:
    settings = production(tmp_path, network.url, contract_address=NO_CODE)
    before = sent_by(network, OTHER_ADDRESS)

    with pytest.raises(ContractNotFound) as refused:
        Runtime.start(settings)

    text = str(refused.value)
    assert "no contract code at 0x00000000000000000000000000000000DeaDBeef" in text
    assert f"chain {NETWORK_CHAIN_ID}" in text and network.url in text
    assert "SENTRACE_CHAIN_RPC_URL" in text and "SENTRACE_CONTRACT_ADDRESS" in text
    assert sent_by(network, OTHER_ADDRESS) == before  # nothing deployed
    assert not list((tmp_path / "data").glob("contract-*.json")) and not published.exists()


def test_production_attaches_to_the_configured_registry(
    network: ManagedAnvil, tmp_path: Path
) -> None:
    deployer = ChainClient(
        http_web3(network.url), Account.from_key(OTHER_KEY), endpoint=network.url
    )
    address = deployer.deploy_registry()
    settings = production(tmp_path, network.url, contract_address=address)
    before = sent_by(network, OTHER_ADDRESS)

    runtime = Runtime.start(settings)
    try:
        assert runtime.require_chain().contract_address == address
    finally:
        runtime.close()
    assert sent_by(network, OTHER_ADDRESS) == before


def test_a_client_from_production_settings_never_deploys(
    network: ManagedAnvil, tmp_path: Path
) -> None:
    """Even if a caller passes no address, the production client refuses to deploy."""
    client = ChainClient.from_settings(production(tmp_path, network.url, contract_address=NO_CODE))
    with pytest.raises(ChainConfigError, match="never deploys"):
        client.ensure_registry(None, remember_file=client.remember_file(tmp_path))


def test_outside_production_a_configured_address_without_code_is_refused(
    network: ManagedAnvil, tmp_path: Path
) -> None:
    settings = Settings(
        env=Environment.DEVELOPMENT,
        data_dir=tmp_path / "data",
        chain_rpc_url=network.url,
        contract_address=NO_CODE,
        anchor_private_key=SecretStr(OTHER_KEY),
        worker_enabled=False,
    )
    before = sent_by(network, OTHER_ADDRESS)
    with pytest.raises(ContractNotFound, match="no new registry is deployed"):
        Runtime.start(settings)
    assert sent_by(network, OTHER_ADDRESS) == before


def test_a_remembered_registry_without_code_on_a_network_is_refused_not_redeployed(
    network: ManagedAnvil, tmp_path: Path, published: Path
) -> None:
    """A lagging or wrong RPC shows no code: outside production too, no new registry."""
    client = ChainClient.from_settings(
        Settings(chain_rpc_url=network.url, anchor_private_key=SecretStr(OTHER_KEY))
    )
    path = client.remember_file(tmp_path)
    remembered = {"chain_id": NETWORK_CHAIN_ID, "address": NO_CODE, "block_number": 0}
    path.write_text(json.dumps(remembered), encoding="utf-8")
    before = sent_by(network, OTHER_ADDRESS)

    with pytest.raises(ContractNotFound) as refused:
        client.ensure_registry(None, remember_file=path)

    assert str(path) in str(refused.value) and "SENTRACE_CHAIN_RPC_URL" in str(refused.value)
    assert sent_by(network, OTHER_ADDRESS) == before
    assert json.loads(path.read_text(encoding="utf-8")) == remembered
    assert not published.exists()


def test_a_remembered_registry_without_code_on_anvil_is_redeployed(
    anvil_node: ManagedAnvil, tmp_path: Path
) -> None:
    """A development chain reset (anvil state lost) keeps today's behaviour: a new registry."""
    client = ChainClient.from_settings(Settings(chain_rpc_url=anvil_node.url))
    path = client.remember_file(tmp_path)
    stale = {"chain_id": 31337, "address": NO_CODE, "block_number": 0}
    path.write_text(json.dumps(stale), encoding="utf-8")

    deployed = client.ensure_registry(None, remember_file=path)

    assert deployed != NO_CODE
    assert json.loads(path.read_text(encoding="utf-8"))["address"] == deployed
