#!/usr/bin/env python3
"""Compile contracts/*.sol with the pinned npm solc and write contracts/build/<Name>.json.

The artifacts are committed so that the application never needs a compiler at run time; this
script is the one way to produce them, and ``--check`` proves the committed ones still match
the sources (CI and a test run it). The output is deterministic: sorted keys, fixed settings,
source unit names relative to the repository, so a fresh compile is byte-identical.

``sourceHash`` is the sha256 of the standard-JSON input with every source that took part
(our files and the OpenZeppelin files they import) inlined, so it changes exactly when the
compiled program could.
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
DEPLOYABLE = ("TraceRegistry",)
SOLC_VERSION = "0.8.30"
#: viaIR and 10,000 runs were measured: together they keep anchorBatch near 48,600 gas (the
#: target is 50,000) at the price of a slower compile.
SETTINGS: dict[str, Any] = {
    "evmVersion": "cancun",
    "viaIR": True,
    "optimizer": {"enabled": True, "runs": 10_000},
    "remappings": ["@openzeppelin/contracts/=node_modules/@openzeppelin/contracts/"],
    "metadata": {"bytecodeHash": "ipfs"},
    "outputSelection": {
        "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]},
    },
}


class CompileError(RuntimeError):
    """solc reported errors, or the compiler is not the pinned version."""


def source_files() -> list[Path]:
    """Our Solidity sources, in a stable order."""
    return sorted(CONTRACTS_DIR.glob("*.sol")) + sorted(CONTRACTS_DIR.glob("interfaces/*.sol"))


def unit_name(path: Path) -> str:
    return path.relative_to(REPO_ROOT).as_posix()


def standard_input(sources: dict[str, str]) -> dict[str, Any]:
    return {
        "language": "Solidity",
        "sources": {name: {"content": sources[name]} for name in sorted(sources)},
        "settings": SETTINGS,
    }


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compiler_version() -> str:
    version = str(get_solc_version(WRAPPER, with_commit_hash=True))
    if not version.startswith(SOLC_VERSION + "+"):
        raise CompileError(f"expected solc {SOLC_VERSION}, found {version}")
    return version


def compile_all() -> dict[str, dict[str, Any]]:
    """Compile every source and return the artifact of each deployable contract."""
    version = compiler_version()
    own = {unit_name(p): p.read_text(encoding="utf-8") for p in source_files()}
    output = solcx.compile_standard(
        standard_input(own), solc_binary=WRAPPER, base_path=REPO_ROOT, allow_empty=True
    )
    for warning in output.get("errors", []):
        if warning.get("severity") != "error":
            print(warning.get("formattedMessage", warning["message"]), file=sys.stderr)
    errors = [e for e in output.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise CompileError("\n".join(e.get("formattedMessage", e["message"]) for e in errors))

    used = {
        name: own[name] if name in own else (REPO_ROOT / name).read_text(encoding="utf-8")
        for name in output["sources"]
    }
    source_hash = hashlib.sha256(canonical_json(standard_input(used)).encode()).hexdigest()
    per_file = {name: hashlib.sha256(text.encode()).hexdigest() for name, text in used.items()}

    artifacts: dict[str, dict[str, Any]] = {}
    for unit, contracts in output["contracts"].items():
        for name, compiled in contracts.items():
            if name not in DEPLOYABLE:
                continue
            artifacts[name] = {
                "contractName": name,
                "sourceName": unit,
                "abi": compiled["abi"],
                "bytecode": "0x" + compiled["evm"]["bytecode"]["object"],
                "deployedBytecode": "0x" + compiled["evm"]["deployedBytecode"]["object"],
                "compiler": {"version": version, "settings": SETTINGS},
                "sourceHash": "0x" + source_hash,
                "sources": per_file,
            }
    missing = set(DEPLOYABLE) - set(artifacts)
    if missing:
        raise CompileError(f"no output for {sorted(missing)}")
    return artifacts


def render(artifact: dict[str, Any]) -> str:
    """The exact bytes written to disk: indented, sorted, one trailing newline."""
    return json.dumps(artifact, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def stale_artifacts(artifacts: dict[str, dict[str, Any]]) -> list[str]:
    """Names whose committed artifact differs from (or is missing next to) a fresh compile."""
    stale = []
    for name, artifact in sorted(artifacts.items()):
        path = BUILD_DIR / f"{name}.json"
        if not path.exists() or path.read_text(encoding="utf-8") != render(artifact):
            stale.append(name)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if committed artifacts are stale"
    )
    args = parser.parse_args(argv)
    try:
        artifacts = compile_all()
    except CompileError as exc:
        print(f"compile failed: {exc}", file=sys.stderr)
        return 2
    if args.check:
        stale = stale_artifacts(artifacts)
        if stale:
            print(
                f"stale artifacts: {', '.join(stale)}; run scripts/compile_contracts.py",
                file=sys.stderr,
            )
            return 1
        print(f"artifacts up to date: {', '.join(sorted(artifacts))}")
        return 0
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    for name, artifact in sorted(artifacts.items()):
        (BUILD_DIR / f"{name}.json").write_text(render(artifact), encoding="utf-8")
        print(f"wrote {unit_name(BUILD_DIR / f'{name}.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
