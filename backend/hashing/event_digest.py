"""The digest an organisation signs for one event, computed directly for the verification path.

:func:`backend.hashing.eip712.typed_data_digest` builds the whole ``eth_signTypedData_v4``
JSON and lets eth-account encode it: right for signing and for any statement, but about
0.4 ms an event, and a read pays it for every event of the lot and of each ancestor. An
``Event`` is a fixed struct of four 32-byte words, so its EIP-712 encoding is those words
after the type hash, and the domain separator is a pure function of the domain (remembered).
The tests hold :func:`event_digest` to eth-account's digest of the same typed data, and
:func:`recover_digest_signer` to :func:`~backend.hashing.eip712.recover_signer`, refusals
included.
"""

from __future__ import annotations

from functools import lru_cache

import coincurve
from eth_keys import keys
from eth_keys.exceptions import BadSignature

from backend.hashing.eip712 import NAME, VERSION, SigningDomain, signature_bytes
from backend.hashing.errors import InvalidNode
from backend.hashing.keccak import new_keccak

_UINT64_MAX = 2**64 - 1


def _keccak(data: bytes) -> bytes:
    return new_keccak(data).digest()


DOMAIN_TYPEHASH = _keccak(
    b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
EVENT_TYPEHASH = _keccak(b"Event(bytes32 orgKey,bytes32 lotKey,uint64 seq,bytes32 eventHash)")


@lru_cache(maxsize=256)
def domain_separator(domain: SigningDomain) -> bytes:
    """hashStruct(EIP712Domain) of ``domain``."""
    address = bytes.fromhex(domain.verifying_contract[2:])
    return _keccak(
        DOMAIN_TYPEHASH
        + _keccak(NAME.encode("utf-8"))
        + _keccak(VERSION.encode("utf-8"))
        + domain.chain_id.to_bytes(32, "big")
        + bytes(12)
        + address
    )


def event_digest(
    domain: SigningDomain, *, org_key: bytes, lot_key: bytes, seq: int, event_hash: bytes
) -> bytes:
    """keccak256("\\x19\\x01" ‖ domain separator ‖ hashStruct(Event)): the 32 bytes signed."""
    for name, word in (("org_key", org_key), ("lot_key", lot_key), ("event_hash", event_hash)):
        if type(word) is not bytes or len(word) != 32:
            raise InvalidNode(f"{name} must be 32 bytes")
    if type(seq) is not int or not 0 <= seq <= _UINT64_MAX:
        raise ValueError(f"seq must be an integer in 0..{_UINT64_MAX}, got {seq!r}")
    struct = _keccak(EVENT_TYPEHASH + org_key + lot_key + seq.to_bytes(32, "big") + event_hash)
    return _keccak(b"\x19\x01" + domain_separator(domain) + struct)


def recover_digest_signer(digest: bytes, signature: str) -> str | None:
    """The checksummed address whose key made ``signature`` over ``digest``; None for a
    signature :func:`~backend.hashing.eip712.recover_signer` would refuse (form, v, r, high s)
    or one from which no key recovers."""
    raw = signature_bytes(signature)
    if raw is None:
        return None
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big")
    try:
        public = keys.Signature(vrs=(raw[64] - 27, r, s)).recover_public_key_from_msg_hash(digest)
    except (BadSignature, ValueError):
        return None
    return public.to_checksum_address()


def sign_digest(digest: bytes, private_key: keys.PrivateKey) -> str:
    """``private_key``'s signature over the 32-byte ``digest``, in the form
    :func:`~backend.hashing.eip712.sign_typed_data` gives (``0x`` + r ‖ s ‖ v, v 27 or 28,
    low s): the server signs a custodial statement's digest it already holds, instead of
    having eth-account encode the typed data a second time."""
    if type(digest) is not bytes or len(digest) != 32:
        raise InvalidNode("digest must be 32 bytes")
    raw = _curve_key(private_key.to_bytes()).sign_recoverable(digest, hasher=None)
    # libsecp256k1 gives r ‖ s ‖ recovery id with s already low; Ethereum's v is id + 27.
    return "0x" + (raw[:64] + bytes([raw[64] + 27])).hex()


@lru_cache(maxsize=256)
def _curve_key(secret: bytes) -> coincurve.PrivateKey:
    """The key as libsecp256k1 holds it, made once per key: making it derives the public key,
    which cost more than the signature itself (eth-keys makes one on every signature)."""
    return coincurve.PrivateKey(secret)
