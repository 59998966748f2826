"""Private values by commitment: keccak256(32-byte salt ‖ canonical bytes of the value)."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.hashing import (
    InvalidSalt,
    NonCanonicalValue,
    check_commitment,
    commit,
    is_commitment,
    keccak,
    new_salt,
    reference,
    to_hex,
)
from tests.hashing.strategies import values

salts = st.binary(min_size=32, max_size=32)


@given(values, salts)
def test_a_commitment_is_the_rule_spelled_out_and_opens_with_its_salt(
    value: Any, salt: bytes
) -> None:
    try:
        made = commit(value, salt)
    except NonCanonicalValue:
        return  # outside the canonical value space (a lone surrogate, say)
    assert made == {"commitment": reference.commitment(value, salt)}
    assert is_commitment(made)
    assert check_commitment(value, salt, made)
    assert check_commitment(value, salt, made["commitment"])


def test_a_string_is_committed_with_its_json_quotes() -> None:
    salt = bytes(32)
    expected = to_hex(keccak(salt + '"Mỹ Xương"'.encode()))
    assert commit("Mỹ Xương", salt) == {"commitment": expected}


def test_nfd_and_nfc_spellings_commit_alike() -> None:
    salt = new_salt()
    name = "Nguyễn Văn Hùng"
    assert commit(unicodedata.normalize("NFD", name), salt) == commit(name, salt)


def test_another_value_or_salt_does_not_open_the_commitment() -> None:
    salt = new_salt()
    made = commit({"lat": "10.4521", "lon": "105.6331"}, salt)
    assert not check_commitment({"lat": "10.4521", "lon": "105.6332"}, salt, made)
    assert not check_commitment({"lat": "10.4521", "lon": "105.6331"}, new_salt(), made)
    assert not check_commitment(1.5, salt, made)  # cannot be hashed: opens nothing
    assert not check_commitment("x", b"short", made)
    assert not check_commitment("x", salt, {"commitment": made["commitment"].upper()})
    assert not check_commitment("x", salt, {})


def test_salts_are_fresh_32_bytes_and_other_sizes_are_refused() -> None:
    assert len(new_salt()) == 32 and new_salt() != new_salt()
    for salt in (b"", bytes(16), bytes(33), "0" * 32):
        with pytest.raises(InvalidSalt):
            commit("x", salt)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    [
        {"commitment": "0x" + "ab" * 32, "salt": "x"},
        {"commitment": "0x" + "AB" * 32},
        {"commitment": "0x" + "ab" * 31},
        {"commitment": 5},
        "0x" + "ab" * 32,
        None,
    ],
)
def test_only_the_exact_commitment_shape_is_a_commitment(value: Any) -> None:
    assert not is_commitment(value)
