"""The direct Event digest and recovery of the verification path agree with eth-account's
typed-data encoding and with ``recover_signer``, refusals included."""

from __future__ import annotations

import random

import pytest
from eth_account import Account
from eth_keys import keys

from backend.hashing.eip712 import (
    SigningDomain,
    event_typed_data,
    recover_signer,
    sign_typed_data,
    typed_data_digest,
)
from backend.hashing.errors import InvalidNode
from backend.hashing.event_digest import event_digest, recover_digest_signer, sign_digest

SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def random_case(rng: random.Random) -> tuple[SigningDomain, bytes, bytes, int, bytes]:
    domain = SigningDomain(
        chain_id=rng.choice([1, 10, 31337, 2**64 + 5, 2**256 - 1]),
        verifying_contract="0x" + rng.randbytes(20).hex(),
    )
    seq = rng.choice([0, 1, rng.randrange(2**64)])
    return domain, rng.randbytes(32), rng.randbytes(32), seq, rng.randbytes(32)


def test_the_direct_digest_is_eth_accounts_digest_of_the_same_typed_data() -> None:
    rng = random.Random(712)
    for _ in range(200):
        domain, org, lot, seq, event_hash = random_case(rng)
        typed = event_typed_data(domain, org_key=org, lot_key=lot, seq=seq, event_hash=event_hash)
        direct = event_digest(domain, org_key=org, lot_key=lot, seq=seq, event_hash=event_hash)
        assert direct == typed_data_digest(typed)


def test_the_direct_recovery_agrees_with_recover_signer() -> None:
    rng = random.Random(65)
    key = Account.create()
    for _ in range(20):
        domain, org, lot, seq, event_hash = random_case(rng)
        typed = event_typed_data(domain, org_key=org, lot_key=lot, seq=seq, event_hash=event_hash)
        signature = sign_typed_data(typed, key.key)
        digest = event_digest(domain, org_key=org, lot_key=lot, seq=seq, event_hash=event_hash)
        assert recover_digest_signer(digest, signature) == recover_signer(typed, signature)
        assert recover_digest_signer(digest, signature) == key.address
        other = event_digest(domain, org_key=org, lot_key=lot, seq=seq + 1 if seq < 2**64 - 1
                             else 0, event_hash=event_hash)  # fmt: skip
        assert recover_digest_signer(other, signature) != key.address


def test_signing_the_digest_gives_eth_accounts_signature_of_the_typed_data() -> None:
    rng = random.Random(2026)
    for _ in range(40):
        account = Account.from_key(rng.randbytes(32))
        domain, org, lot, seq, event_hash = random_case(rng)
        typed = event_typed_data(domain, org_key=org, lot_key=lot, seq=seq, event_hash=event_hash)
        digest = event_digest(domain, org_key=org, lot_key=lot, seq=seq, event_hash=event_hash)
        signature = sign_digest(digest, keys.PrivateKey(bytes(account.key)))
        assert signature == sign_typed_data(typed, account.key)
        assert recover_signer(typed, signature) == account.address


def test_only_a_32_byte_digest_is_signed() -> None:
    key = keys.PrivateKey(bytes(range(1, 33)))
    for digest in (b"", bytes(31), bytes(33), bytearray(32), "0x" + "00" * 32):
        with pytest.raises(InvalidNode):
            sign_digest(digest, key)  # type: ignore[arg-type]


def test_signatures_a_verifier_refuses_are_refused_alike() -> None:
    key = Account.create()
    domain = SigningDomain(chain_id=31337, verifying_contract=REGISTRY)
    parts = {"org_key": b"\x01" * 32, "lot_key": b"\x02" * 32, "seq": 3, "event_hash": b"\x03" * 32}
    typed = event_typed_data(domain, **parts)
    digest = event_digest(domain, **parts)
    good = sign_typed_data(typed, key.key)
    raw = bytes.fromhex(good[2:])
    s = int.from_bytes(raw[32:64], "big")
    high_s = raw[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - raw[64]])
    refused = [
        good.upper().replace("0X", "0x"),  # not lowercase
        good[:-2] + "1b" if good.endswith("1c") else good[:-2] + "1c",  # the other v: someone else
        good[:-2] + "00",  # v of 0
        "0x" + high_s.hex(),  # the same signature with a high s
        "0x" + "00" * 65,  # r and s of zero
        good[:-2],  # too short
        "not a signature",
    ]
    for signature in refused:
        assert recover_digest_signer(digest, signature) == recover_signer(typed, signature)
    assert recover_digest_signer(digest, refused[3]) is None
    assert recover_digest_signer(digest, refused[1]) != key.address


def test_words_and_seq_out_of_shape_are_refused() -> None:
    domain = SigningDomain(chain_id=31337, verifying_contract=REGISTRY)
    with pytest.raises(InvalidNode):
        event_digest(domain, org_key=b"\x01" * 31, lot_key=b"\x02" * 32, seq=1,
                     event_hash=b"\x03" * 32)  # fmt: skip
    with pytest.raises(ValueError, match="seq"):
        event_digest(domain, org_key=b"\x01" * 32, lot_key=b"\x02" * 32, seq=2**64,
                     event_hash=b"\x03" * 32)  # fmt: skip
