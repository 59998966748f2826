"""The committed contract artifacts are exactly what the pinned compiler makes of the sources.

Both registries are covered: TraceRegistry (rules v2) and the legacy TraceRegistryV1.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from backend.chain.artifacts import BUILD_DIR, legacy_registry_artifact, registry_artifact
from tests.contracts.evm_code import program_push0_offsets, push0_offsets
from tests.contracts.scripts import load_script
from tests.support.components import solcjs_binary

pytestmark = pytest.mark.solc
REGISTRIES = ("TraceRegistry", "TraceRegistryV1")


@pytest.fixture(scope="module")
def fresh() -> dict[str, dict[str, Any]]:
    solcjs_binary()
    compiled: dict[str, dict[str, Any]] = load_script("compile_contracts").compile_all()
    return compiled


def committed(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((BUILD_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return data


def test_committed_bytecode_matches_a_fresh_compile(fresh: dict[str, dict[str, Any]]) -> None:
    assert sorted(fresh) == sorted(REGISTRIES)
    for name, artifact in fresh.items():
        on_disk = committed(name)
        assert on_disk["bytecode"] == artifact["bytecode"], f"{name}: run compile_contracts.py"
        assert on_disk["deployedBytecode"] == artifact["deployedBytecode"]


def test_committed_abi_matches_a_fresh_compile(fresh: dict[str, dict[str, Any]]) -> None:
    for name, artifact in fresh.items():
        assert committed(name)["abi"] == artifact["abi"], f"{name}: run compile_contracts.py"


def test_committed_files_are_byte_identical_to_a_fresh_render(
    fresh: dict[str, dict[str, Any]],
) -> None:
    render = load_script("compile_contracts").render
    for name, artifact in fresh.items():
        assert (BUILD_DIR / f"{name}.json").read_text(encoding="utf-8") == render(artifact)


def test_source_hash_covers_the_openzeppelin_sources(fresh: dict[str, dict[str, Any]]) -> None:
    sources = fresh["TraceRegistry"]["sources"]
    assert "contracts/TraceRegistry.sol" in sources
    assert "contracts/interfaces/ITraceRegistry.sol" in sources
    assert "node_modules/@openzeppelin/contracts/access/AccessControl.sol" in sources
    assert "node_modules/@openzeppelin/contracts/utils/cryptography/MerkleProof.sol" in sources
    assert "node_modules/@openzeppelin/contracts/utils/cryptography/Hashes.sol" in sources


def test_each_artifact_hashes_only_the_sources_its_contract_uses(
    fresh: dict[str, dict[str, Any]],
) -> None:
    legacy = fresh["TraceRegistryV1"]["sources"]
    assert "contracts/legacy/TraceRegistryV1.sol" in legacy
    assert "contracts/legacy/ITraceRegistryV1.sol" in legacy
    assert "contracts/TraceRegistry.sol" not in legacy
    assert "contracts/legacy/TraceRegistryV1.sol" not in fresh["TraceRegistry"]["sources"]
    assert fresh["TraceRegistryV1"]["sourceHash"] != fresh["TraceRegistry"]["sourceHash"]


@pytest.mark.parametrize("name", REGISTRIES)
def test_compiler_is_pinned_with_paris_and_the_optimizer(
    fresh: dict[str, dict[str, Any]], name: str
) -> None:
    compiler = fresh[name]["compiler"]
    assert compiler["version"].startswith("0.8.30+commit.")
    assert compiler["settings"]["evmVersion"] == "paris"
    assert compiler["settings"]["optimizer"]["enabled"] is True


@pytest.mark.parametrize("name", REGISTRIES)
def test_paris_bytecode_has_no_push0_instruction(name: str) -> None:
    """Pre-Shanghai chains (Besu, geth consortium genesis) refuse PUSH0 when the code runs."""
    artifact = committed(name)
    bytecode = bytes.fromhex(artifact["bytecode"].removeprefix("0x"))
    deployed = bytes.fromhex(artifact["deployedBytecode"].removeprefix("0x"))
    assert program_push0_offsets(bytecode, deployed) == []


def test_the_push0_walk_skips_push_data_and_finds_the_instruction() -> None:
    # PUSH1 0x5f (data) · PUSH0 · PUSH2 0x5f5f (data) · PUSH0 · STOP
    code = bytes.fromhex("605f" + "5f" + "615f5f" + "5f" + "00")
    assert push0_offsets(code) == [2, 6]


def test_loader_reads_the_committed_artifacts() -> None:
    for artifact in (registry_artifact(), legacy_registry_artifact()):
        assert artifact.bytecode.startswith("0x6080")
        assert artifact.source_hash == committed(artifact.name)["sourceHash"]
    assert (registry_artifact().name, legacy_registry_artifact().name) == REGISTRIES


def test_check_mode_passes_on_the_committed_tree(
    fresh: dict[str, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    module = load_script("compile_contracts")
    # The fixture already compiled once; the CLI path is checked against that result.
    monkeypatch.setattr(module, "compile_all", lambda evm_version: fresh)
    assert module.main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_check_mode_fails_when_an_artifact_is_stale(
    fresh: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    module = load_script("compile_contracts")
    stale = dict(fresh["TraceRegistry"], bytecode="0x00")
    (tmp_path / "TraceRegistry.json").write_text(module.render(stale), encoding="utf-8")
    legacy = module.render(fresh["TraceRegistryV1"])
    (tmp_path / "TraceRegistryV1.json").write_text(legacy, encoding="utf-8")
    monkeypatch.setattr(module, "BUILD_DIR", tmp_path)
    assert module.stale_artifacts(fresh) == ["TraceRegistry"]
    monkeypatch.setattr(module, "compile_all", lambda evm_version: fresh)
    assert module.main(["--check"]) == 1


def test_another_evm_version_is_written_to_the_build_dir_asked_for(
    fresh: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    module = load_script("compile_contracts")
    asked: list[str] = []
    monkeypatch.setattr(
        module, "compile_all", lambda evm_version: asked.append(evm_version) or fresh
    )
    assert module.main(["--evm-version", "cancun", "--build-dir", str(tmp_path)]) == 0
    assert asked == ["cancun"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{n}.json" for n in REGISTRIES]
