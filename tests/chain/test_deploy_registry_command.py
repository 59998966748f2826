"""``sentrace deploy-registry``: how a production installation gets its registry, once.

The server never deploys in production, so this command is the way: it deploys on the
configured network (an anvil answering for chain 84532 here), keeps and publishes the record,
and run again deploys nothing. It refuses what the server refuses: the demo key off a
development chain, a configured address without code. ``sentrace anchor`` in production
without an address exits with the line that says what to set, no traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_utils import keccak
from typer.testing import CliRunner

from backend.chain import ChainClient, ChainReverted
from backend.chain import deployment as deployments
from backend.chain.anvil import ManagedAnvil
from backend.chain.artifacts import registry_artifact
from backend.chain.providers import http_web3
from backend.cli import app as cli
from backend.config import DEMO_ANCHOR_PRIVATE_KEY, get_settings
from tests.support.anvil import start_anvil

pytestmark = pytest.mark.anvil

NETWORK_CHAIN_ID = 84_532
#: anvil's account #2: prefunded, and used by no other test of this node.
KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"
ADDRESS = Account.from_key(KEY).address
#: The registry's admin on the network: anvil's account #3 (a cold key in real life).
ADMIN_KEY = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"
ADMIN = Account.from_key(ADMIN_KEY).address
NO_CODE = "0x00000000000000000000000000000000DeaDBeef"


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagedAnvil]:
    node = start_anvil(tmp_path_factory.mktemp("network"), chain_id=NETWORK_CHAIN_ID)
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture
def published(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "published"
    monkeypatch.setattr(deployments, "PUBLISHED_DIR", folder)
    return folder


@pytest.fixture
def production(
    tmp_path: Path, network: ManagedAnvil, published: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A production environment on ``network`` without a registry address; the data folder."""
    data = tmp_path / "data"
    values = {
        "SENTRACE_ENV": "production",
        "SENTRACE_DATA_DIR": str(data),
        "SENTRACE_CHAIN_RPC_URL": network.url,
        "SENTRACE_ANCHOR_PRIVATE_KEY": KEY,
        "SENTRACE_SESSION_SECRET": "5e" * 32,
        "SENTRACE_WORKER_ENABLED": "false",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SENTRACE_CONTRACT_ADDRESS", raising=False)
    get_settings.cache_clear()
    yield data
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str, str]:
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def sent(node: ManagedAnvil) -> int:
    return int(http_web3(node.url).eth.get_transaction_count(ADDRESS, "pending"))


def report(stdout: str) -> dict[str, object]:
    """The JSON report: every line before the closing message."""
    return dict(json.loads("\n".join(stdout.strip().splitlines()[:-1])))


def test_deploys_once_then_reports_the_same_registry(
    production: Path, network: ManagedAnvil, published: Path
) -> None:
    code, out, err = run("deploy-registry", "--admin", ADMIN)
    assert code == 0, out + err
    first = report(out)
    address = str(first["registry"])
    assert first["deployed"] is True and first["chain_id"] == NETWORK_CHAIN_ID
    assert len(http_web3(network.url).eth.get_code(address)) > 0  # type: ignore[arg-type]
    assert f"SENTRACE_CONTRACT_ADDRESS={address}" in out.splitlines()[-1]
    assert f"SENTRACE_REGISTRY_FROM_BLOCK={first['block_number']}" in out.splitlines()[-1]
    assert "Đã triển khai" in out.splitlines()[-1]  # Vietnamese first
    remembered = production / f"contract-{NETWORK_CHAIN_ID}.json"
    assert json.loads(remembered.read_text(encoding="utf-8"))["address"] == address
    assert first["published_in"] == str(published / f"{NETWORK_CHAIN_ID}.json")
    before = sent(network)

    code, out, err = run("deploy-registry")  # nothing to deploy: no --admin needed

    assert code == 0, out + err
    again = report(out)
    assert again["registry"] == address and again["deployed"] is False
    assert sent(network) == before


def test_refuses_a_configured_address_without_code(
    production: Path, network: ManagedAnvil, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENTRACE_CONTRACT_ADDRESS", NO_CODE)
    before = sent(network)
    code, out, err = run("deploy-registry")
    assert code == 1, out + err
    assert "no contract code at" in err and "SENTRACE_CHAIN_RPC_URL" in err
    assert sent(network) == before


def test_refuses_the_demo_key_on_a_network(
    production: Path, network: ManagedAnvil, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SENTRACE_ENV", "development")
    monkeypatch.delenv("SENTRACE_ANCHOR_PRIVATE_KEY")
    code, out, err = run("deploy-registry")
    assert code == 2, out + err
    assert f"refused on chain {NETWORK_CHAIN_ID}" in err
    assert DEMO_ANCHOR_PRIVATE_KEY[2:] not in out + err


def test_needs_a_network_url(production: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENTRACE_ENV", "development")
    monkeypatch.delenv("SENTRACE_CHAIN_RPC_URL")
    code, out, err = run("deploy-registry")
    assert code == 2, out + err
    assert "SENTRACE_CHAIN_RPC_URL" in err and "Cần" in err


def test_anchor_in_production_without_an_address_says_what_to_set(production: Path) -> None:
    code, out, err = run("anchor")
    assert code == 2, out + err
    assert "production needs SENTRACE_CONTRACT_ADDRESS" in err
    assert "sentrace deploy-registry" in err and "Traceback" not in out + err


def test_the_admin_is_given_apart_from_the_anchor_key(
    production: Path, network: ManagedAnvil, published: Path
) -> None:
    code, out, err = run("deploy-registry", "--admin", ADMIN.lower(), "--admin-delay", "3600")
    assert code == 0, out + err
    first = report(out)
    assert (first["admin"], first["operator"], first["admin_delay"]) == (ADMIN, ADDRESS, 3600)
    record = json.loads((published / f"{NETWORK_CHAIN_ID}.json").read_text(encoding="utf-8"))
    assert (record["admin"], record["operator"], record["admin_delay"]) == (ADMIN, ADDRESS, 3600)
    w3 = http_web3(network.url)
    registry = w3.eth.contract(address=str(first["registry"]), abi=registry_artifact().abi)  # type: ignore[call-overload]
    assert registry.functions.defaultAdmin().call() == ADMIN
    assert registry.functions.defaultAdminDelay().call() == 3600
    anchorer = keccak(text="ANCHORER_ROLE")
    assert registry.functions.hasRole(anchorer, ADDRESS).call() is True
    assert registry.functions.hasRole(anchorer, ADMIN).call() is False
    assert registry.functions.hasRole(bytes(32), ADDRESS).call() is False


def test_a_network_needs_an_admin_apart_from_the_anchor_key(
    production: Path, network: ManagedAnvil
) -> None:
    before = sent(network)
    code, out, err = run("deploy-registry")
    assert code == 2, out + err
    assert "--admin" in err and "Trên mạng blockchain thật" in err
    code, out, err = run("deploy-registry", "--admin", ADDRESS)
    assert code == 2, out + err
    assert f"the admin {ADDRESS} is the server's anchor key" in err
    code, out, err = run("deploy-registry", "--admin", "0x1234")
    assert code == 2, out + err
    assert "--admin" in err
    assert sent(network) == before


def _keystore(folder: Path, key: str, password: str) -> Path:
    path = folder / "admin-keystore.json"
    keyfile = Account.encrypt(key, password, kdf="pbkdf2", iterations=1000)
    path.write_text(json.dumps(keyfile), encoding="utf-8")
    return path


def test_the_admin_pauses_and_unpauses_with_its_keystore(
    production: Path, network: ManagedAnvil, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run("deploy-registry", "--admin", ADMIN)
    assert code == 0, out + err
    address = str(report(out)["registry"])
    registry = http_web3(network.url).eth.contract(address=address, abi=registry_artifact().abi)  # type: ignore[call-overload]
    monkeypatch.setenv("SENTRACE_ADMIN_KEYSTORE_PASSWORD", "mật khẩu quản trị")
    keystore = str(_keystore(production.parent, ADMIN_KEY, "mật khẩu quản trị"))

    code, out, err = run("registry", "pause", "--keystore", keystore)

    assert code == 0, out + err
    assert report(out)["paused"] is True and report(out)["by"] == ADMIN
    assert "Đã tạm dừng" in out.splitlines()[-1]
    assert registry.functions.paused().call() is True
    operator = ChainClient(http_web3(network.url), Account.from_key(KEY), endpoint=network.url)
    operator.attach(address)
    with pytest.raises(ChainReverted) as refused:
        operator.anchor_batch(keccak(text="root"), 1)
    assert refused.value.error_name == "EnforcedPause"

    code, out, err = run("registry", "pause", "--keystore", keystore)
    assert code == 0 and "already paused" in out, out + err

    code, out, err = run("registry", "unpause", "--keystore", keystore)
    assert code == 0, out + err
    assert registry.functions.paused().call() is False
    assert operator.anchor_batch(keccak(text="root"), 1).status == 1


def test_the_anchor_key_cannot_pause(
    production: Path, network: ManagedAnvil, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run("deploy-registry", "--admin", ADMIN)
    assert code == 0, out + err
    monkeypatch.setenv("SENTRACE_ADMIN_KEYSTORE_PASSWORD", "pw")
    keystore = str(_keystore(production.parent, KEY, "pw"))
    code, out, err = run("registry", "pause", "--keystore", keystore)
    assert code == 1, out + err
    assert "AccessControlUnauthorizedAccount" in err and "Traceback" not in out + err


def test_a_wrong_keystore_password_is_refused_without_quoting_it(
    production: Path, network: ManagedAnvil, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, err = run("deploy-registry", "--admin", ADMIN)
    assert code == 0, out + err
    keystore = str(_keystore(production.parent, ADMIN_KEY, "right"))
    monkeypatch.setenv("SENTRACE_ADMIN_KEYSTORE_PASSWORD", "wrong-password")
    code, out, err = run("registry", "pause", "--keystore", keystore)
    assert code == 2, out + err
    assert "cannot decrypt keystore" in err and "wrong-password" not in out + err
