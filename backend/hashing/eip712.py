"""EIP-712 typed data of the statements organisations and regulators sign (proof rules section 12).

An event is signed by its organisation, a signer change by the registry's signer admin and a
recall by a regulator, each as typed data under the domain of the registry that will judge it
(docs/proof-rules.md section 12). The same typed data is signed in the browser, by a
cooperative's own system and by the server for custodial keys, and the registry computes the
same digest on chain (``eventDigest``), so every typed-data dict here is the full
``eth_signTypedData_v4`` JSON that any wallet or library accepts as it is.

Hashing and signing go through ``eth_account`` (``encode_typed_data``, ``Account``): nothing
here spells ECDSA by hand. :func:`recover_signer` only adds the checks a verifier needs and
``eth_account`` leaves out: the exact ``0x`` + 130 lowercase hex form, v of 27 or 28 and a low
s, because the registry (OpenZeppelin ``ECDSA``) refuses a high s and a proof must not verify
off chain when the chain would refuse it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_utils import is_address, to_checksum_address

from backend.hashing.canonical import _label
from backend.hashing.errors import InvalidNode
from backend.hashing.keccak import new_keccak

NAME = "SenTrace"
VERSION = "1"

#: Who holds a signing key, as the registry records it (``signerOf(...).custody``).
CUSTODY_CODES: dict[str, int] = {"client": 1, "browser": 2, "custodial": 3}
CUSTODY_NAMES: dict[int, str] = {code: name for name, code in CUSTODY_CODES.items()}

DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
EVENT_TYPE = [
    {"name": "orgKey", "type": "bytes32"},
    {"name": "lotKey", "type": "bytes32"},
    {"name": "seq", "type": "uint64"},
    {"name": "eventHash", "type": "bytes32"},
]
SIGNER_CHANGE_TYPE = [
    {"name": "orgKey", "type": "bytes32"},
    {"name": "signer", "type": "address"},
    {"name": "active", "type": "bool"},
    {"name": "custody", "type": "uint8"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]
RECALL_TYPE = [
    {"name": "lotKey", "type": "bytes32"},
    {"name": "reasonHash", "type": "bytes32"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]

#: secp256k1's group order; a signature's s must be at most half of it (EIP-2).
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_SIGNATURE = re.compile(r"0x[0-9a-f]{130}")
_UINT64_MAX = 2**64 - 1
_UINT256_MAX = 2**256 - 1


@dataclass(frozen=True)
class SigningDomain:
    """The registry a statement is signed for: its chain and address."""

    chain_id: int
    verifying_contract: str

    def __post_init__(self) -> None:
        if not is_address(self.verifying_contract):
            raise ValueError(f"not an address: {self.verifying_contract!r}")
        object.__setattr__(self, "verifying_contract", to_checksum_address(self.verifying_contract))
        if not 0 < self.chain_id <= _UINT256_MAX:
            raise ValueError(f"chain id out of range: {self.chain_id}")

    def as_dict(self) -> dict[str, Any]:
        """The ``domain`` member of the typed data."""
        return {
            "name": NAME,
            "version": VERSION,
            "chainId": self.chain_id,
            "verifyingContract": self.verifying_contract,
        }


@lru_cache(maxsize=256)
def signing_domain(chain_id: int, verifying_contract: str) -> SigningDomain:
    """The domain of one registry, made once: building one checks and checksums the address
    (a keccak), and every signed write and every verified event asks for theirs. A domain is
    immutable, so one is shared by all who ask."""
    return SigningDomain(chain_id=chain_id, verifying_contract=verifying_contract)


def org_key(slug: str) -> bytes:
    """keccak256 of the UTF-8 of the NFC organisation slug: how the chain names an
    organisation (the same rule as ``lot_key``)."""
    return new_keccak(_label(slug, "org").encode("utf-8")).digest()


def event_typed_data(
    domain: SigningDomain,
    *,
    org_key: bytes | str,
    lot_key: bytes | str,
    seq: int,
    event_hash: bytes | str,
) -> dict[str, Any]:
    """``Event(bytes32 orgKey,bytes32 lotKey,uint64 seq,bytes32 eventHash)``: an organisation's
    word that this document (by its event hash) is the ``seq``-th event of the lot."""
    message = {
        "orgKey": _word(org_key, "org_key"),
        "lotKey": _word(lot_key, "lot_key"),
        "seq": _uint(seq, "seq", _UINT64_MAX),
        "eventHash": _word(event_hash, "event_hash"),
    }
    return _typed("Event", EVENT_TYPE, domain, message)


def signer_change_typed_data(
    domain: SigningDomain,
    *,
    org_key: bytes | str,
    signer: str,
    active: bool,
    custody: int,
    nonce: int,
    deadline: int,
) -> dict[str, Any]:
    """``SignerChange(...)``: a signer admin's word that ``signer`` starts (``active``) or stops
    signing for the organisation; relayed by anyone to ``setSignerWithSignature``."""
    if not is_address(signer):
        raise ValueError(f"not an address: {signer!r}")
    if type(active) is not bool:
        raise ValueError("active must be a bool")
    if custody not in CUSTODY_NAMES:
        raise ValueError(f"custody must be one of {sorted(CUSTODY_NAMES)}, got {custody!r}")
    message = {
        "orgKey": _word(org_key, "org_key"),
        "signer": to_checksum_address(signer),
        "active": active,
        "custody": custody,
        "nonce": _uint(nonce, "nonce", _UINT256_MAX),
        "deadline": _uint(deadline, "deadline", _UINT256_MAX),
    }
    return _typed("SignerChange", SIGNER_CHANGE_TYPE, domain, message)


def recall_typed_data(
    domain: SigningDomain,
    *,
    lot_key: bytes | str,
    reason_hash: bytes | str,
    nonce: int,
    deadline: int,
) -> dict[str, Any]:
    """``Recall(bytes32 lotKey,bytes32 reasonHash,uint256 nonce,uint256 deadline)``: a
    regulator's word that the lot is recalled; relayed by anyone to ``recallWithSignature``."""
    message = {
        "lotKey": _word(lot_key, "lot_key"),
        "reasonHash": _word(reason_hash, "reason_hash"),
        "nonce": _uint(nonce, "nonce", _UINT256_MAX),
        "deadline": _uint(deadline, "deadline", _UINT256_MAX),
    }
    return _typed("Recall", RECALL_TYPE, domain, message)


def typed_data_digest(typed: dict[str, Any]) -> bytes:
    """The 32 bytes a key signs: keccak256("\\x19\\x01" ‖ domain separator ‖ struct hash)."""
    signable = _signable(typed)
    return new_keccak(b"\x19" + signable.version + signable.header + signable.body).digest()


def sign_typed_data(typed: dict[str, Any], private_key: bytes) -> str:
    """The signature of ``typed`` by ``private_key``: ``0x`` + r ‖ s ‖ v in lowercase hex,
    v 27 or 28, low s (eth-account's own output)."""
    signed = Account.sign_message(_signable(typed), private_key=private_key)
    return "0x" + bytes(signed.signature).hex()


def recover_signer(typed: dict[str, Any], signature: str) -> str | None:
    """The checksummed address that signed ``typed``, or None for a signature that is not
    ``0x`` + 130 lowercase hex digits, has v other than 27/28, r or s out of range, or a high s
    (the registry would refuse it)."""
    raw = signature_bytes(signature)
    if raw is None:
        return None
    try:
        address = Account.recover_message(_signable(typed), signature=raw)
    except (ValueError, TypeError):  # eth_keys' BadSignature is a ValueError
        return None
    return to_checksum_address(address)


def signature_bytes(signature: str) -> bytes | None:
    """The 65 bytes r ‖ s ‖ v of a signature a verifier accepts (lowercase ``0x`` hex, v 27 or
    28, r and s in range, low s); None for any other."""
    if not isinstance(signature, str) or not _SIGNATURE.fullmatch(signature):
        return None
    raw = bytes.fromhex(signature[2:])
    r, s, v = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big"), raw[64]
    if v not in (27, 28) or not 0 < r < _SECP256K1_N or not 0 < s <= _SECP256K1_N // 2:
        return None
    return raw


def _signable(typed: dict[str, Any]) -> SignableMessage:
    return encode_typed_data(full_message=typed)


def _typed(
    primary: str, fields: list[dict[str, str]], domain: SigningDomain, message: dict[str, Any]
) -> dict[str, Any]:
    return {
        "types": {
            "EIP712Domain": [dict(f) for f in DOMAIN_TYPE],
            primary: [dict(f) for f in fields],
        },
        "primaryType": primary,
        "domain": domain.as_dict(),
        "message": message,
    }


def _word(value: bytes | str, name: str) -> str:
    """A bytes32 value as the typed data carries it: ``0x`` + 64 lowercase hex digits."""
    if isinstance(value, str) and re.fullmatch(r"0x[0-9a-fA-F]{64}", value):
        return value.lower()
    if isinstance(value, bytes | bytearray) and len(value) == 32:
        return "0x" + bytes(value).hex()
    raise InvalidNode(f"{name} must be 32 bytes or 0x + 64 hex digits")


def _uint(value: int, name: str, maximum: int) -> int:
    if type(value) is not int or not 0 <= value <= maximum:
        raise ValueError(f"{name} must be an integer in 0..{maximum}, got {value!r}")
    return value
