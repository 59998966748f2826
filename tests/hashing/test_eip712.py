"""EIP-712 typed data of signed statements (proof rules section 12) and its fixed answers.

The committed tests/vectors/signatures.json is recomputed here twice: through
``backend.hashing.eip712`` (eth-account's encoder) and through a spelling with eth_abi written
in this file, so the file, the code and the rule cannot drift together. The keys in the file
are published TEST keys. The contract's agreement with both is tested on anvil
(tests/contracts/test_signers_anvil.py).
"""

from __future__ import annotations

import importlib.util
import json
import unicodedata
from typing import Any

import pytest
from eth_abi import encode as abi_encode
from eth_account import Account

from backend.hashing import InvalidNode, keccak, lot_key
from backend.hashing.eip712 import (
    SigningDomain,
    event_typed_data,
    org_key,
    recall_typed_data,
    recover_signer,
    sign_typed_data,
    signer_change_typed_data,
    typed_data_digest,
)
from tests.support.components import REPO_ROOT

VECTORS = json.loads((REPO_ROOT / "tests" / "vectors" / "signatures.json").read_text("utf-8"))
EVENTS_V2 = json.loads((REPO_ROOT / "tests" / "vectors" / "events_v2.json").read_text("utf-8"))
STATEMENTS: list[dict[str, Any]] = VECTORS["statements"]
DOMAIN = SigningDomain(VECTORS["domain"]["chainId"], VECTORS["domain"]["verifyingContract"])
KEY = bytes.fromhex(VECTORS["keys"]["htx-my-xuong"]["private_key"][2:])
ADDRESS = VECTORS["keys"]["htx-my-xuong"]["address"]
ABI_TYPES = {
    "Event": ["bytes32", "bytes32", "uint64", "bytes32"],
    "SignerChange": ["bytes32", "address", "bool", "uint8", "uint256", "uint256"],
    "Recall": ["bytes32", "bytes32", "uint256", "uint256"],
}


def _by_eth_abi(statement: dict[str, Any]) -> tuple[bytes, bytes]:
    """(struct hash, digest) spelled from the EIP-712 text, without eth-account."""
    typed = statement["typed_data"]
    name = typed["primaryType"]
    fields = typed["types"][name]
    type_string = f"{name}(" + ",".join(f"{f['type']} {f['name']}" for f in fields) + ")"
    assert [f["type"] for f in fields] == ABI_TYPES[name]
    assert VECTORS["types"][name]["string"] == type_string
    values = [
        bytes.fromhex(typed["message"][f["name"]][2:])
        if f["type"] == "bytes32"
        else typed["message"][f["name"]]
        for f in fields
    ]
    struct = keccak(
        abi_encode(["bytes32", *ABI_TYPES[name]], [keccak(type_string.encode()), *values])
    )
    domain_type = (
        b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    )
    separator = keccak(
        abi_encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                keccak(domain_type),
                keccak(b"SenTrace"),
                keccak(b"1"),
                DOMAIN.chain_id,
                DOMAIN.verifying_contract,
            ],
        )
    )
    assert "0x" + separator.hex() == VECTORS["domain_separator"]
    return struct, keccak(b"\x19\x01" + separator + struct)


def _rebuilt(statement: dict[str, Any]) -> dict[str, Any]:
    """The statement's typed data built again from its message through the module's builders."""
    message = statement["typed_data"]["message"]
    if statement["kind"] == "event":
        return event_typed_data(
            DOMAIN,
            org_key=message["orgKey"],
            lot_key=message["lotKey"],
            seq=message["seq"],
            event_hash=message["eventHash"],
        )
    if statement["kind"] == "signer_change":
        return signer_change_typed_data(
            DOMAIN,
            org_key=message["orgKey"],
            signer=message["signer"],
            active=message["active"],
            custody=message["custody"],
            nonce=message["nonce"],
            deadline=message["deadline"],
        )
    return recall_typed_data(
        DOMAIN,
        lot_key=message["lotKey"],
        reason_hash=message["reasonHash"],
        nonce=message["nonce"],
        deadline=message["deadline"],
    )


# ------------------------------------------------------------------------------ vectors


def test_the_vector_keys_are_the_published_test_keys() -> None:
    assert "TEST KEYS ONLY" in VECTORS["warning"]
    for entry in VECTORS["keys"].values():
        assert Account.from_key(entry["private_key"]).address == entry["address"]


@pytest.mark.parametrize("statement", STATEMENTS, ids=[s["name"] for s in STATEMENTS])
def test_each_signature_vector_is_reproduced(statement: dict[str, Any]) -> None:
    typed = statement["typed_data"]
    assert _rebuilt(statement) == typed
    struct, digest = _by_eth_abi(statement)
    assert "0x" + struct.hex() == statement["struct_hash"]
    assert typed_data_digest(typed) == digest
    assert "0x" + digest.hex() == statement["digest"]
    key = VECTORS["keys"][statement["signed_by"]]
    # eth-account signs deterministically (RFC 6979): the same key gives the same signature.
    assert sign_typed_data(typed, bytes.fromhex(key["private_key"][2:])) == statement["signature"]
    assert recover_signer(typed, statement["signature"]) == statement["signer"] == key["address"]


def test_the_event_vectors_sign_the_v2_events() -> None:
    events = [s for s in STATEMENTS if s["kind"] == "event"]
    assert len(events) == len(EVENTS_V2["events"])
    for statement, event in zip(events, EVENTS_V2["events"], strict=True):
        message = statement["typed_data"]["message"]
        assert message["eventHash"] == event["event_hash"]
        assert (
            message["lotKey"] == event["lot_key"] == "0x" + lot_key(event["document"]["lot"]).hex()
        )
        assert message["orgKey"] == "0x" + org_key(event["document"]["org"]).hex()
        assert message["seq"] == event["document"]["seq"]


@pytest.mark.parametrize("refused", VECTORS["refused"], ids=[r["name"] for r in VECTORS["refused"]])
def test_the_refused_signatures_recover_to_no_one(refused: dict[str, Any]) -> None:
    (statement,) = [s for s in STATEMENTS if s["name"] == refused["statement"]]
    assert recover_signer(statement["typed_data"], refused["signature"]) is None


def test_the_vectors_file_is_what_make_vectors_writes() -> None:
    path = REPO_ROOT / "scripts" / "make_vectors.py"
    spec = importlib.util.spec_from_file_location("make_vectors", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rendered = module.render(module.build_vectors_signatures(EVENTS_V2["events"]))
    assert rendered == module.SIGNATURES_PATH.read_text("utf-8")


# -------------------------------------------------------------------------------- module


def _event(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "org_key": org_key("htx-my-xuong"),
        "lot_key": lot_key("DT-1"),
        "seq": 1,
        "event_hash": keccak(b"event"),
    }
    fields.update(overrides)
    return event_typed_data(DOMAIN, **fields)


def test_org_key_is_keccak_of_the_nfc_slug() -> None:
    slug = "hợp-tác-xã-mỹ-xương"
    assert org_key(slug) == keccak(unicodedata.normalize("NFC", slug).encode())
    assert org_key(unicodedata.normalize("NFD", slug)) == org_key(slug)
    assert org_key("htx") == lot_key("htx")  # the same rule as a lot key
    with pytest.raises(ValueError):
        org_key("")


def test_bytes32_fields_take_bytes_or_hex_and_are_written_lowercase() -> None:
    value = keccak(b"event")
    upper = "0x" + value.hex().upper()
    assert _event(event_hash=value) == _event(event_hash=upper)
    assert _event(event_hash=value)["message"]["eventHash"] == "0x" + value.hex()
    for bad in (value[:31], "0x1234", value.hex()):
        with pytest.raises(InvalidNode):
            _event(event_hash=bad)


@pytest.mark.parametrize(
    ("field", "value"),
    [("seq", -1), ("seq", 2**64), ("seq", True), ("seq", "1")],
)
def test_out_of_range_numbers_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        _event(**{field: value})


def test_signer_changes_check_custody_signer_and_active() -> None:
    fields: dict[str, Any] = {
        "org_key": org_key("htx"),
        "signer": ADDRESS.lower(),
        "active": True,
        "custody": 3,
        "nonce": 0,
        "deadline": 1,
    }
    typed = signer_change_typed_data(DOMAIN, **fields)
    assert typed["message"]["signer"] == ADDRESS  # checksummed
    for key, bad in (("custody", 0), ("custody", 4), ("signer", "0x12"), ("active", 1)):
        with pytest.raises(ValueError):
            signer_change_typed_data(DOMAIN, **{**fields, key: bad})


def test_the_domain_is_checksummed_and_complete() -> None:
    domain = SigningDomain(1, VECTORS["domain"]["verifyingContract"].lower())
    assert domain.verifying_contract == VECTORS["domain"]["verifyingContract"]
    typed = _event()
    assert typed["types"]["EIP712Domain"] == [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
        {"name": "verifyingContract", "type": "address"},
    ]
    assert typed["primaryType"] == "Event"
    with pytest.raises(ValueError):
        SigningDomain(0, ADDRESS)
    with pytest.raises(ValueError):
        SigningDomain(1, "0x1234")


def test_a_signature_binds_every_field_and_the_domain() -> None:
    typed = _event()
    signature = sign_typed_data(typed, KEY)
    assert recover_signer(typed, signature) == ADDRESS
    for changed in (
        _event(seq=2),
        _event(lot_key=lot_key("DT-2")),
        _event(org_key=org_key("other")),
        _event(event_hash=keccak(b"other")),
        event_typed_data(
            SigningDomain(1, DOMAIN.verifying_contract),
            **{
                "org_key": org_key("htx-my-xuong"),
                "lot_key": lot_key("DT-1"),
                "seq": 1,
                "event_hash": keccak(b"event"),
            },
        ),
    ):
        assert recover_signer(changed, signature) not in (None, ADDRESS)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: s.upper().replace("0X", "0x"),  # uppercase hex
        lambda s: s[2:],  # no prefix
        lambda s: s + "00",  # 66 bytes
        lambda s: s[:-2] + "00",  # v = 0
        lambda s: s[:-2] + "01",  # v = 1
        lambda s: s[:-2] + "1d",  # v = 29
        lambda s: "0x" + "00" * 32 + s[66:],  # r = 0
        lambda s: s[:66] + "00" * 32 + s[-2:],  # s = 0
    ],
    ids=["uppercase", "no-prefix", "66-bytes", "v0", "v1", "v29", "r0", "s0"],
)
def test_malformed_signatures_recover_to_no_one(mangle: Any) -> None:
    typed = _event()
    signature = sign_typed_data(typed, KEY)
    assert recover_signer(typed, mangle(signature)) is None
    assert recover_signer(typed, None) is None  # type: ignore[arg-type]
