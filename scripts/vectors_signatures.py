"""The fixed answers of signed statements (proof rules section 12), written to signatures.json.

Each v2 event of events_v2.json is signed by a key of its organisation as EIP-712 ``Event``
typed data; a signer admin's ``SignerChange`` (an activation and a revocation) and a
regulator's ``Recall`` follow. Every statement gives its full typed data (as
``eth_signTypedData_v4`` takes it), the struct hash, the digest, the signature and the signer,
and the file gives the domain separator and the type hashes, spelled with ``eth_abi`` apart
from eth-account's encoder so that an implementation can be checked step by step. Two
signatures that must be refused (a high s, a short one) close the file.

The private keys are TEST KEYS, derived from public labels and published in the file: they
sign nothing real, and no registry should ever register them outside a test.
"""

from __future__ import annotations

from typing import Any

from eth_abi import encode as abi_encode
from eth_account import Account

from backend.hashing import keccak, lot_key, to_hex
from backend.hashing.eip712 import (
    EVENT_TYPE,
    RECALL_TYPE,
    SIGNER_CHANGE_TYPE,
    SigningDomain,
    event_typed_data,
    org_key,
    recall_typed_data,
    recover_signer,
    sign_typed_data,
    signer_change_typed_data,
    typed_data_digest,
)

#: anvil's chain id and the address of the first contract its first account deploys: where a
#: development registry lives, so the vectors can be checked against one on chain as well.
DOMAIN = SigningDomain(
    chain_id=31337, verifying_contract="0x5FbDB2315678afecb367f032d93f642f64180aa3"
)
KEY_LABELS = ("htx-my-xuong", "dong-thap-packers", "signer admin", "regulator")
#: Fixed, far-future deadline (2100-01-01T00:00:00Z) so the vectors never expire.
DEADLINE = 4_102_444_800

_TYPES = {"Event": EVENT_TYPE, "SignerChange": SIGNER_CHANGE_TYPE, "Recall": RECALL_TYPE}
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def test_private_key(label: str) -> bytes:
    """The TEST key named ``label``: keccak256 of a public phrase, so anyone can rebuild it."""
    return keccak(f"sentrace test key (never use): {label}".encode())


def type_string(name: str) -> str:
    """``Name(type field,...)``, the string EIP-712 hashes into the type hash."""
    return f"{name}(" + ",".join(f"{f['type']} {f['name']}" for f in _TYPES[name]) + ")"


def domain_separator(domain: SigningDomain) -> bytes:
    """The domain separator spelled with eth_abi (independent of eth-account's encoder)."""
    domain_type = (
        "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
    )
    return keccak(
        abi_encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [
                keccak(domain_type.encode()),
                keccak(b"SenTrace"),
                keccak(b"1"),
                domain.chain_id,
                domain.verifying_contract,
            ],
        )
    )


def struct_hash(typed: dict[str, Any]) -> bytes:
    """keccak256(typeHash ‖ abi.encode(fields)) with eth_abi; every field here is static."""
    name = typed["primaryType"]
    fields = _TYPES[name]
    values = [
        bytes.fromhex(typed["message"][f["name"]][2:])
        if f["type"] == "bytes32"
        else typed["message"][f["name"]]
        for f in fields
    ]
    encoded = abi_encode(
        ["bytes32", *(f["type"] for f in fields)], [keccak(type_string(name).encode()), *values]
    )
    return keccak(encoded)


def _statement(name: str, kind: str, typed: dict[str, Any], signer_label: str) -> dict[str, Any]:
    key = test_private_key(signer_label)
    signature = sign_typed_data(typed, key)
    signer = Account.from_key(key).address
    assert recover_signer(typed, signature) == signer
    return {
        "name": name,
        "kind": kind,
        "signed_by": signer_label,
        "typed_data": typed,
        "struct_hash": to_hex(struct_hash(typed)),
        "digest": to_hex(typed_data_digest(typed)),
        "signature": signature,
        "signer": signer,
    }


def _high_s(signature: str) -> str:
    """The same signature with s mirrored (n - s) and v flipped: valid ECDSA, refused by rule."""
    raw = bytes.fromhex(signature[2:])
    s = _SECP256K1_N - int.from_bytes(raw[32:64], "big")
    return "0x" + (raw[:32] + s.to_bytes(32, "big") + bytes([55 - raw[64]])).hex()


def build_vectors_signatures(events_v2: list[dict[str, Any]]) -> dict[str, Any]:
    """Every signature vector; ``events_v2`` are the events of events_v2.json."""
    statements = []
    for event in events_v2:
        document = event["document"]
        typed = event_typed_data(
            DOMAIN,
            org_key=org_key(document["org"]),
            lot_key=event["lot_key"],
            seq=document["seq"],
            event_hash=event["event_hash"],
        )
        statements.append(_statement(event["name"], "event", typed, document["org"]))
    org_signer = Account.from_key(test_private_key("htx-my-xuong")).address
    for nonce, active in enumerate((True, False)):
        typed = signer_change_typed_data(
            DOMAIN,
            org_key=org_key("htx-my-xuong"),
            signer=org_signer,
            active=active,
            custody=1,
            nonce=nonce,
            deadline=DEADLINE,
        )
        label = "activation" if active else "revocation"
        statements.append(
            _statement(f"signer change: {label}", "signer_change", typed, "signer admin")
        )
    typed = recall_typed_data(
        DOMAIN,
        lot_key=lot_key("DT-XOAI-2026-0101"),
        reason_hash=keccak("Quyết định thu hồi 17/2025".encode()),
        nonce=0,
        deadline=DEADLINE,
    )
    statements.append(_statement("recall by a regulator", "recall", typed, "regulator"))
    first = statements[0]
    return {
        "rules": "sentrace/event@2 signatures (docs/proof-rules.md, section 12)",
        "warning": "TEST KEYS ONLY: the private keys below are public; never register or use them.",
        "keys": {
            label: {
                "private_key": to_hex(test_private_key(label)),
                "address": Account.from_key(test_private_key(label)).address,
            }
            for label in KEY_LABELS
        },
        "domain": DOMAIN.as_dict(),
        "domain_separator": to_hex(domain_separator(DOMAIN)),
        "types": {
            name: {"string": type_string(name), "hash": to_hex(keccak(type_string(name).encode()))}
            for name in _TYPES
        },
        "custody_codes": {"client": 1, "browser": 2, "custodial": 3},
        "statements": statements,
        "refused": [
            {
                "name": "high s (the first statement's signature mirrored): recovers to no one",
                "statement": first["name"],
                "signature": _high_s(first["signature"]),
            },
            {
                "name": "64 bytes (v missing): recovers to no one",
                "statement": first["name"],
                "signature": first["signature"][:-2],
            },
        ],
    }
