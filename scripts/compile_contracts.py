#!/usr/bin/env python3
"""Compile contracts/**.sol with the pinned npm solc and write contracts/build/<Name>.json.

The artifacts are committed so that the application never needs a compiler at run time; this
script is the one way to produce them, and ``--check`` proves the committed ones still match
the sources (CI and a test run it). The output is deterministic: sorted keys, fixed settings,
source unit names relative to the repository, so a fresh compile is byte-identical.

Two registries are built: ``TraceRegistry`` (rules v2, deployed) and ``TraceRegistryV1``
(contracts/legacy/, rules v1), kept to read registries deployed from it and for the gas
benchmark's comparison.

The EVM version defaults to ``paris``, the last one without ``PUSH0``: consortium chains (Besu,
geth) whose genesis predates Shanghai refuse that opcode, and nothing here needs a newer one.
``--evm-version`` builds for another target, e.g. into another ``--build-dir``.

``sourceHash`` is the sha256 of the standard-JSON input with every source that took part in
that contract (its own files and the OpenZeppelin files they import, as its metadata lists
them) inlined, so it changes exactly when the compiled program could.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import solcx
from solcx.wrapper import get_solc_version

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_DIR = REPO_ROOT / "contracts"
BUILD_DIR = CONTRACTS_DIR / "build"
WRAPPER = REPO_ROOT / "scripts" / "solc_wrapper.py"

#: Contracts whose artifacts are written (interfaces are compiled but have no bytecode to ship).
DEPLOYABLE = ("TraceRegistry", "TraceRegistryV1")
SOLC_VERSION = "0.8.30"
#: No PUSH0 (Shanghai): deployable on pre-Shanghai consortium chains.
DEFAULT_EVM_VERSION = "paris"
#: Source folders, relative to contracts/, compiled together.
SOURCE_DIRS = (".", "interfaces", "legacy")


def settings(evm_version: str = DEFAULT_EVM_VERSION) -> dict[str, Any]:
    """The solc settings; viaIR and 10,000 runs were measured to keep anchorBatch cheapest.

    ``metadata`` is selected only to learn which sources each contract used; it is not written.
    """
    return {
        "evmVersion": evm_version,
        "viaIR": True,
        "optimizer": {"enabled": True, "runs": 10_000},
        "remappings": ["@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/"],
        "metadata": {"bytecodeHash": "ipfs"},
        "outputSelection": {
            "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "metadata"]},
        },
    }


class CompileError(RuntimeError):
    """solc reported errors, or the compiler is not the pinned version."""


def source_files() -> list[Path]:
    """Our Solidity sources, in a stable order."""
    return [
        path for folder in SOURCE_DIRS for path in sorted((CONTRACTS_DIR / folder).glob("*.sol"))
    ]


def unit_name(path: Path) -> str:
    return path.relative_to(REPO_ROOT).as_posix()


def standard_input(sources: dict[str, str], solc_settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "language": "Solidity",
        "sources": {name: {"content": sources[name]} for name in sorted(sources)},
        "settings": solc_settings,
    }


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compiler_version() -> str:
    version = str(get_solc_version(WRAPPER, with_commit_hash=True))
    if not version.startswith(SOLC_VERSION + "+"):
        raise CompileError(f"expected solc {SOLC_VERSION}, found {version}")
    return version


def compile_all(evm_version: str = DEFAULT_EVM_VERSION) -> dict[str, dict[str, Any]]:
    """Compile every source and return the artifact of each deployable contract."""
    version = compiler_version()
    solc_settings = settings(evm_version)
    own = {unit_name(p): p.read_text(encoding="utf-8") for p in source_files()}
    output = solcx.compile_standard(
        standard_input(own, solc_settings),
        solc_binary=WRAPPER,
        base_path=REPO_ROOT,
        allow_empty=True,
    )
    for warning in output.get("errors", []):
        if warning.get("severity") != "error":
            print(warning.get("formattedMessage", warning["message"]), file=sys.stderr)
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise CompileError("\n".join(e.get("formattedMessage", e["message"]) for e in errors))

    texts = {
        name: own[name] if name in own else (REPO_ROOT / name).read_text(encoding="utf-8")
        for name in output["sources"]
    }
    artifacts: dict[str, dict[str, Any]] = {}
    for unit, contracts in output["contracts"].items():
        for name, compiled in contracts.items():
            if name not in DEPLOYABLE:
                continue
            used = {src: texts[src] for src in json.loads(compiled["metadata"])["sources"]}
            source_hash = hashlib.sha256(
                canonical_json(standard_input(used, solc_settings)).encode()
            ).hexdigest()
            artifacts[name] = {
                "contractName": name,
                "sourceName": unit,
                "abi": compiled["abi"],
                "bytecode": "0x" + compiled["evm"]["bytecode"]["object"],
                "deployedBytecode": "0x" + compiled["evm"]["deployedBytecode"]["object"],
                "compiler": {"version": version, "settings": solc_settings},
                "sourceHash": "0x" + source_hash,
                "sources": {src: hashlib.sha256(t.encode()).hexdigest() for src, t in used.items()},
            }
    missing = set(DEPLOYABLE) - set(artifacts)
    if missing:
        raise CompileError(f"no output for {sorted(missing)}")
    return artifacts


def render(artifact: dict[str, Any]) -> str:
    """The exact bytes written to disk: indented, sorted, one trailing newline."""
    return json.dumps(artifact, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def stale_artifacts(
    artifacts: dict[str, dict[str, Any]], build_dir: Path | None = None
) -> list[str]:
    """Names whose committed artifact differs from (or is missing next to) a fresh compile."""
    stale = []
    for name, artifact in sorted(artifacts.items()):
        path = (build_dir or BUILD_DIR) / f"{name}.json"
        if not path.exists() or path.read_text(encoding="utf-8") != render(artifact):
            stale.append(name)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if committed artifacts are stale"
    )
    parser.add_argument(
        "--evm-version",
        default=DEFAULT_EVM_VERSION,
        help=f"solc evmVersion (default {DEFAULT_EVM_VERSION}: no PUSH0, pre-Shanghai chains)",
    )
    parser.add_argument(
        "--build-dir", type=Path, default=None, help="where artifacts go (default contracts/build)"
    )
    args = parser.parse_args(argv)
    build_dir: Path = args.build_dir or BUILD_DIR
    try:
        artifacts = compile_all(args.evm_version)
    except CompileError as exc:
        print(f"compile failed: {exc}", file=sys.stderr)
        return 2
    if args.check:
        stale = stale_artifacts(artifacts, build_dir)
        if stale:
            print(
                f"stale artifacts: {', '.join(stale)}; run scripts/compile_contracts.py",
                file=sys.stderr,
            )
            return 1
        print(f"artifacts up to date: {', '.join(sorted(artifacts))}")
        return 0
    build_dir.mkdir(parents=True, exist_ok=True)
    for name, artifact in sorted(artifacts.items()):
        path = build_dir / f"{name}.json"
        path.write_text(render(artifact), encoding="utf-8")
        print(f"wrote {path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
