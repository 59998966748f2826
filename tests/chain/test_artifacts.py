"""Loading the committed artifact and decoding revert payloads by selector."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector, keccak

from backend.chain.artifacts import load_artifact, registry_artifact
from backend.chain.errors import ChainConfigError, DecodedRevert


def payload(signature: str, types: list[str], values: list[object]) -> str:
    return "0x" + (function_signature_to_4byte_selector(signature) + encode(types, values)).hex()


def test_every_registry_error_in_the_abi_is_named_after_the_contract() -> None:
    """Besides OpenZeppelin's own (access control, pause, the admin delay's SafeCast, the
    signed statements' nonces)."""
    names = {item["name"] for item in registry_artifact().abi if item["type"] == "error"}
    openzeppelin = {
        "EnforcedPause",
        "ExpectedPause",
        "SafeCastOverflowedUintDowncast",
        "InvalidAccountNonce",
    }
    ours = {name for name in names if not name.startswith("AccessControl")} - openzeppelin
    assert ours and all(name.startswith("TraceRegistry") for name in ours)
    assert openzeppelin <= names


def test_the_pause_error_decodes_by_name() -> None:
    data = payload("EnforcedPause()", [], [])
    assert registry_artifact().decode_revert(data) == DecodedRevert("EnforcedPause", ())


def test_access_control_error_decodes_with_checksummed_account() -> None:
    account = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    role = keccak(text="ANCHORER_ROLE")
    data = payload(
        "AccessControlUnauthorizedAccount(address,bytes32)", ["address", "bytes32"], [account, role]
    )
    assert registry_artifact().decode_revert(data) == DecodedRevert(
        "AccessControlUnauthorizedAccount", (account, role)
    )


def test_error_without_arguments_renders_with_empty_parentheses() -> None:
    decoded = registry_artifact().decode_revert(payload("TraceRegistryZeroRoot()", [], []))
    assert str(decoded) == "TraceRegistryZeroRoot()"


@pytest.mark.parametrize("data", ["0x", "0x1234", "0xnothex", "0xdeadbeef" + "00" * 32])
def test_undecodable_payloads_give_none(data: str) -> None:
    assert registry_artifact().decode_revert(data) is None


def test_truncated_arguments_give_none() -> None:
    full = payload("TraceRegistryZeroEventCount(bytes32)", ["bytes32"], [b"\x01" * 32])
    assert registry_artifact().decode_revert(full[:-8]) is None


def test_missing_artifact_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ChainConfigError, match=r"compile_contracts\.py"):
        load_artifact("TraceRegistry", build_dir=tmp_path)


def test_broken_artifact_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "TraceRegistry.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ChainConfigError):
        load_artifact("TraceRegistry", build_dir=tmp_path)
