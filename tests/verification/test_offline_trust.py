"""The registry an auditor's verify-proof trusts: --contract, else the published deployment
record for the chain, else (development chains) the data folder's; never the bundle's."""

from __future__ import annotations

from pathlib import Path

from backend.chain.artifacts import registry_artifact
from backend.chain.deployment import (
    BuildFacts,
    Deployment,
    published_file,
    remember_file,
    write_deployment,
)
from backend.hashing import from_hex
from backend.services.verification.offline_trust import same_address, trusted_registry

GENUINE = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
OTHER = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
PUBLIC, DEV = 84532, 31337


def _record(path: Path, chain_id: int, address: str) -> None:
    build = BuildFacts.of(registry_artifact())
    write_deployment(path, Deployment(chain_id, address, 9, contract=build))  # type: ignore[arg-type]


def test_an_explicit_contract_wins(tmp_path: Path) -> None:
    _record(published_file(PUBLIC, tmp_path), PUBLIC, OTHER)
    trusted = trusted_registry(PUBLIC, contract=GENUINE, data_dir=None, published_dir=tmp_path)
    assert trusted is not None and trusted.address == GENUINE and trusted.source == "--contract"
    assert trusted.code_hash is None


def test_repeated_contracts_name_the_registry_in_use_then_the_retired_ones(
    tmp_path: Path,
) -> None:
    _record(published_file(PUBLIC, tmp_path), PUBLIC, OTHER)
    trusted = trusted_registry(
        PUBLIC, contract=[GENUINE, OTHER], data_dir=None, published_dir=tmp_path
    )
    assert trusted is not None and trusted.address == GENUINE
    assert [(r.address, r.source) for r in trusted.retired] == [(OTHER, "--contract")]
    assert trusted.addresses == [GENUINE, OTHER]


def test_a_public_chain_uses_the_published_record_with_its_build(tmp_path: Path) -> None:
    path = published_file(PUBLIC, tmp_path)
    _record(path, PUBLIC, GENUINE)
    trusted = trusted_registry(PUBLIC, contract=None, data_dir=None, published_dir=tmp_path)
    assert trusted is not None and trusted.address == GENUINE and trusted.source == str(path)
    expected = BuildFacts.of(registry_artifact()).deployed_bytecode_hash
    assert trusted.code_hash == from_hex(expected) and trusted.from_block == 9


def test_a_dev_chain_uses_the_data_folder_and_never_a_published_record(tmp_path: Path) -> None:
    published, data = tmp_path / "published", tmp_path / "data"
    _record(published_file(DEV, published), DEV, OTHER)
    assert trusted_registry(DEV, contract=None, data_dir=None, published_dir=published) is None
    _record(remember_file(data, DEV), DEV, GENUINE)
    trusted = trusted_registry(DEV, contract=None, data_dir=data, published_dir=published)
    assert trusted is not None and trusted.address == GENUINE


def test_without_a_chain_id_or_a_record_nothing_is_trusted(tmp_path: Path) -> None:
    assert trusted_registry(None, contract=None, data_dir=tmp_path, published_dir=tmp_path) is None
    assert (
        trusted_registry(PUBLIC, contract=None, data_dir=tmp_path, published_dir=tmp_path) is None
    )


def test_addresses_compare_without_case() -> None:
    assert same_address(GENUINE.lower(), GENUINE)
    assert not same_address(GENUINE, OTHER)
    assert not same_address(None, GENUINE)
