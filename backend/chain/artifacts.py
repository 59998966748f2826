"""The compiled registries, loaded from the committed artifacts, and revert decoding.

The application never compiles: scripts/compile_contracts.py writes contracts/build/*.json and
a test keeps them in step with the sources. Reverts come back from nodes as raw bytes; the ABI
in the artifact names every custom error, so they are decoded here by their 4-byte selector.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_utils import function_signature_to_4byte_selector, to_checksum_address

from backend.chain.errors import ChainConfigError, DecodedRevert

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_DIR = REPO_ROOT / "contracts" / "build"
REGISTRY_NAME = "TraceRegistry"
#: The rules v1 registry (contracts/legacy/): its ABI reads registries deployed before v2.
LEGACY_REGISTRY_NAME = "TraceRegistryV1"

#: Solidity's built-in revert payloads, which no ABI declares.
BUILTIN_ERRORS: dict[bytes, tuple[str, tuple[str, ...]]] = {
    bytes.fromhex("08c379a0"): ("Error", ("string",)),
    bytes.fromhex("4e487b71"): ("Panic", ("uint256",)),
}


def _abi_type(param: dict[str, Any]) -> str:
    """The canonical type of an ABI parameter, tuples spelled out."""
    kind: str = param["type"]
    if kind.startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in param["components"])
        return f"({inner}){kind[len('tuple') :]}"
    return kind


@dataclass(frozen=True)
class ContractArtifact:
    """One compiled contract as committed in contracts/build/."""

    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    source_hash: str
    compiler_version: str

    @cached_property
    def error_types(self) -> dict[bytes, tuple[str, tuple[str, ...]]]:
        """Selector → (name, argument types) for every custom error in the ABI, plus built-ins."""
        table = dict(BUILTIN_ERRORS)
        for item in self.abi:
            if item.get("type") != "error":
                continue
            types = tuple(_abi_type(p) for p in item["inputs"])
            selector = function_signature_to_4byte_selector(f"{item['name']}({','.join(types)})")
            table[selector] = (item["name"], types)
        return table

    def decode_revert(self, data: str) -> DecodedRevert | None:
        """Decode ``0x``-prefixed revert data; None for empty or unknown payloads."""
        try:
            raw = bytes.fromhex(data.removeprefix("0x"))
        except ValueError:
            return None
        entry = self.error_types.get(raw[:4]) if len(raw) >= 4 else None
        if entry is None:
            return None
        name, types = entry
        try:
            values = abi_decode(list(types), raw[4:])
        except DecodingError:
            return None
        args = tuple(
            to_checksum_address(v) if t == "address" else v
            for t, v in zip(types, values, strict=True)
        )
        return DecodedRevert(name=name, args=args)


def load_artifact(name: str = REGISTRY_NAME, *, build_dir: Path | None = None) -> ContractArtifact:
    """Read ``<build_dir>/<name>.json``; raises ChainConfigError when it is missing or broken."""
    path = (build_dir or BUILD_DIR) / f"{name}.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return ContractArtifact(
            name=raw["contractName"],
            abi=raw["abi"],
            bytecode=raw["bytecode"],
            deployed_bytecode=raw["deployedBytecode"],
            source_hash=raw["sourceHash"],
            compiler_version=raw["compiler"]["version"],
        )
    except (OSError, ValueError, KeyError) as exc:
        raise ChainConfigError(
            f"cannot load contract artifact {path}: {exc}; run scripts/compile_contracts.py"
        ) from exc


@lru_cache(maxsize=4)
def registry_artifact() -> ContractArtifact:
    """The TraceRegistry artifact shipped with this checkout, read once per process."""
    return load_artifact(REGISTRY_NAME)


@lru_cache(maxsize=4)
def legacy_registry_artifact() -> ContractArtifact:
    """The rules v1 TraceRegistryV1 artifact, for registries deployed before rules v2."""
    return load_artifact(LEGACY_REGISTRY_NAME)
