"""The committed contract artifacts are exactly what the pinned compiler makes of the sources."""

from __future__ import annotations

import json
from typing import Any

import pytest

from backend.chain.artifacts import BUILD_DIR, registry_artifact
from tests.contracts.scripts import load_script
from tests.support.components import solcjs_binary

pytestmark = pytest.mark.solc


@pytest.fixture(scope="module")
def fresh() -> dict[str, dict[str, Any]]:
    solcjs_binary()
    compiled: dict[str, dict[str, Any]] = load_script("compile_contracts").compile_all()
    return compiled


def committed(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((BUILD_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return data


def test_committed_bytecode_matches_a_fresh_compile(fresh: dict[str, dict[str, Any]]) -> None:
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


def test_compiler_is_pinned_with_cancun_and_the_optimizer(fresh: dict[str, dict[str, Any]]) -> None:
    compiler = fresh["TraceRegistry"]["compiler"]
    assert compiler["version"].startswith("0.8.30+commit.")
    assert compiler["settings"]["evmVersion"] == "cancun"
    assert compiler["settings"]["optimizer"]["enabled"] is True


def test_loader_reads_the_committed_artifact() -> None:
    artifact = registry_artifact()
    assert artifact.name == "TraceRegistry"
    assert artifact.bytecode.startswith("0x6080")
    assert artifact.source_hash == committed("TraceRegistry")["sourceHash"]


def test_check_mode_passes_on_the_committed_tree(
    fresh: dict[str, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    module = load_script("compile_contracts")
    # The fixture already compiled once; the CLI path is checked against that result.
    monkeypatch.setattr(module, "compile_all", lambda: fresh)
    assert module.main(["--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_check_mode_fails_when_an_artifact_is_stale(
    fresh: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    module = load_script("compile_contracts")
    stale = dict(fresh["TraceRegistry"], bytecode="0x00")
    (tmp_path / "TraceRegistry.json").write_text(module.render(stale), encoding="utf-8")
    monkeypatch.setattr(module, "BUILD_DIR", tmp_path)
    assert module.stale_artifacts(fresh) == ["TraceRegistry"]
    monkeypatch.setattr(module, "compile_all", lambda: fresh)
    assert module.main(["--check"]) == 1
