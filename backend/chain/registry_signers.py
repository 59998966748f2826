"""Organisations' signing keys and signed statements on the registry (proof rules section 12).

The platform's key only relays: a signer change signed by the signer admin goes out as
``setSignerWithSignature`` and a recall signed by a regulator as ``recallWithSignature``, each
under the signer's nonce (:meth:`RegistrySigners.nonce_of`) and a deadline. The admin's own
transactions (``setSigner``/``setSignerWithCustody``, granting ``REGULATOR_ROLE``) are here too,
for a client whose signer is the admin (a development chain, ``RegistryAdmin``, tests).

As in ``registry_sends``, ``*_call`` builds the contract call (to sign with ``sign_call`` and
store before broadcasting), ``send_*`` sends it and returns the hash, and the plain name also
waits for the receipt. The reads (:meth:`RegistrySigners.signer_of`, the on-chain digest and
verification helpers) are what a verifier asks the chain.
"""

from __future__ import annotations

from abc import abstractmethod

from eth_typing import ChecksumAddress, HexStr
from eth_utils import is_address, keccak, to_checksum_address
from web3.contract import Contract
from web3.contract.contract import ContractFunction

from backend.chain.registry_sends import bytes32
from backend.chain.sender import ChainSender
from backend.chain.types import SignerRecord, TxResult
from backend.hashing.eip712 import CUSTODY_NAMES, SigningDomain, signing_domain

#: ``keccak256("REGULATOR_ROLE")``, as the contract's ``REGULATOR_ROLE()`` answers.
REGULATOR_ROLE = keccak(text="REGULATOR_ROLE")
#: ``keccak256("SIGNER_ADMIN_ROLE")``: who may register and revoke signing keys.
SIGNER_ADMIN_ROLE = keccak(text="SIGNER_ADMIN_ROLE")


def _address(value: str, name: str) -> ChecksumAddress:
    if not is_address(value):
        raise ValueError(f"{name} must be an address, got {value!r}")
    return to_checksum_address(value)


def _signature(value: str | bytes) -> bytes:
    """A signature as the contract takes it (raw bytes); the contract judges its contents."""
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str) and value.startswith("0x"):
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    raise ValueError("signature must be bytes or 0x-prefixed hex")


def _custody(value: int) -> int:
    if value not in CUSTODY_NAMES:
        raise ValueError(f"custody must be one of {sorted(CUSTODY_NAMES)}, got {value!r}")
    return value


class RegistrySigners(ChainSender):
    """Signing keys, signed recalls and roles; :class:`~backend.chain.ChainClient` binds the
    registry."""

    @property
    @abstractmethod
    def _registry(self) -> Contract:
        """The registry in use (raises when none is attached)."""

    # ------------------------------------------------------------------------- reading

    def signing_domain(self) -> SigningDomain:
        """The EIP-712 domain of the registry in use: statements for it are signed under this."""
        return signing_domain(self.chain_id, self._registry.address)

    def signer_of(self, org_key: bytes, address: str) -> SignerRecord:
        """The registry's record of ``address`` as a key of ``org_key`` (all zero: never)."""
        fn = self._registry.functions.signerOf(
            bytes32(org_key, "org_key"), _address(address, "address")
        )
        with self._boundary():
            since, until, custody = fn.call()
        return SignerRecord(since=int(since), until=int(until), custody=int(custody))

    def is_signer_at(self, org_key: bytes, address: str, timestamp: int) -> bool:
        """The contract's ``isSignerAt``: ``address`` signed for ``org_key`` at ``timestamp``."""
        fn = self._registry.functions.isSignerAt(
            bytes32(org_key, "org_key"), _address(address, "address"), timestamp
        )
        with self._boundary():
            return bool(fn.call())

    def nonce_of(self, address: str) -> int:
        """The nonce the next statement signed by ``address`` must carry (``nonces``)."""
        with self._boundary():
            return int(self._registry.functions.nonces(_address(address, "address")).call())

    def has_role(self, role: bytes, address: str) -> bool:
        """Whether ``address`` holds ``role`` (e.g. :data:`REGULATOR_ROLE`)."""
        fn = self._registry.functions.hasRole(bytes32(role, "role"), _address(address, "address"))
        with self._boundary():
            return bool(fn.call())

    def event_digest(self, org_key: bytes, lot_key: bytes, seq: int, event_hash: bytes) -> bytes:
        """The contract's EIP-712 digest of an event (``eventDigest``)."""
        fn = self._registry.functions.eventDigest(
            bytes32(org_key, "org_key"),
            bytes32(lot_key, "lot_key"),
            seq,
            bytes32(event_hash, "event_hash"),
        )
        with self._boundary():
            return bytes(fn.call())

    def recover_event_signer(
        self, org_key: bytes, lot_key: bytes, seq: int, event_hash: bytes, signature: str | bytes
    ) -> ChecksumAddress | None:
        """Who signed the event, as the contract recovers it; None for an invalid signature."""
        fn = self._registry.functions.recoverEventSigner(
            bytes32(org_key, "org_key"),
            bytes32(lot_key, "lot_key"),
            seq,
            bytes32(event_hash, "event_hash"),
            _signature(signature),
        )
        with self._boundary():
            address = str(fn.call())
        return None if int(address, 16) == 0 else to_checksum_address(address)

    def verify_event_signature(
        self,
        root: bytes,
        org_key: bytes,
        lot_key: bytes,
        seq: int,
        event_hash: bytes,
        signature: str | bytes,
    ) -> bool:
        """The contract's rule: ``root`` anchored and the signature by a key of ``org_key``
        active at its anchoring time (``verifyEventSignature``)."""
        fn = self._registry.functions.verifyEventSignature(
            bytes32(root, "root"),
            bytes32(org_key, "org_key"),
            bytes32(lot_key, "lot_key"),
            seq,
            bytes32(event_hash, "event_hash"),
            _signature(signature),
        )
        with self._boundary():
            return bool(fn.call())

    # ---------------------------------------------------------------- relayed statements

    def set_signer_with_signature_call(
        self,
        org_key: bytes,
        signer: str,
        *,
        active: bool,
        custody: int,
        nonce: int,
        deadline: int,
        signature: str | bytes,
    ) -> ContractFunction:
        """``setSignerWithSignature(...)`` carrying the signer admin's signature of the
        ``SignerChange`` (``hashing.signer_change_typed_data``), to sign or send."""
        return self._registry.functions.setSignerWithSignature(
            bytes32(org_key, "org_key"),
            _address(signer, "signer"),
            bool(active),
            _custody(custody),
            nonce,
            deadline,
            _signature(signature),
        )

    def send_set_signer_with_signature(
        self,
        org_key: bytes,
        signer: str,
        *,
        active: bool,
        custody: int,
        nonce: int,
        deadline: int,
        signature: str | bytes,
    ) -> HexStr:
        """Send :meth:`set_signer_with_signature_call` and return the hash."""
        return self._send(
            self.set_signer_with_signature_call(
                org_key,
                signer,
                active=active,
                custody=custody,
                nonce=nonce,
                deadline=deadline,
                signature=signature,
            )
        )

    def set_signer_with_signature(
        self,
        org_key: bytes,
        signer: str,
        *,
        active: bool,
        custody: int,
        nonce: int,
        deadline: int,
        signature: str | bytes,
        timeout: float = 30.0,
    ) -> TxResult:
        """Relay a signed signer change and wait for it."""
        tx_hash = self.send_set_signer_with_signature(
            org_key,
            signer,
            active=active,
            custody=custody,
            nonce=nonce,
            deadline=deadline,
            signature=signature,
        )
        return self.wait_for_receipt(tx_hash, timeout=timeout)

    def recall_with_signature_call(
        self,
        lot_key: bytes,
        reason_hash: bytes,
        *,
        nonce: int,
        deadline: int,
        signature: str | bytes,
    ) -> ContractFunction:
        """``recallWithSignature(...)`` carrying a regulator's signature of the ``Recall``
        (``hashing.recall_typed_data``), to sign or send."""
        return self._registry.functions.recallWithSignature(
            bytes32(lot_key, "lot_key"),
            bytes32(reason_hash, "reason_hash"),
            nonce,
            deadline,
            _signature(signature),
        )

    def send_recall_with_signature(
        self,
        lot_key: bytes,
        reason_hash: bytes,
        *,
        nonce: int,
        deadline: int,
        signature: str | bytes,
    ) -> HexStr:
        """Send :meth:`recall_with_signature_call` and return the hash."""
        return self._send(
            self.recall_with_signature_call(
                lot_key, reason_hash, nonce=nonce, deadline=deadline, signature=signature
            )
        )

    def recall_with_signature(
        self,
        lot_key: bytes,
        reason_hash: bytes,
        *,
        nonce: int,
        deadline: int,
        signature: str | bytes,
        timeout: float = 30.0,
    ) -> TxResult:
        """Relay a regulator's signed recall and wait for it."""
        tx_hash = self.send_recall_with_signature(
            lot_key, reason_hash, nonce=nonce, deadline=deadline, signature=signature
        )
        return self.wait_for_receipt(tx_hash, timeout=timeout)

    # ------------------------------------------------------------ the admin's own sends

    def set_signer_call(
        self, org_key: bytes, signer: str, *, active: bool, custody: int = 1
    ) -> ContractFunction:
        """``setSigner`` (custody 1) or ``setSignerWithCustody``, sent by a signer admin."""
        key, address = bytes32(org_key, "org_key"), _address(signer, "signer")
        if _custody(custody) == 1:
            return self._registry.functions.setSigner(key, address, bool(active))
        return self._registry.functions.setSignerWithCustody(key, address, bool(active), custody)

    def set_signer(
        self, org_key: bytes, signer: str, *, active: bool, custody: int = 1, timeout: float = 30.0
    ) -> TxResult:
        """Activate or revoke ``signer`` for ``org_key`` as the signer admin, and wait."""
        tx_hash = self._send(self.set_signer_call(org_key, signer, active=active, custody=custody))
        return self.wait_for_receipt(tx_hash, timeout=timeout)

    def grant_regulator_call(self, address: str) -> ContractFunction:
        """``grantRole(REGULATOR_ROLE, address)``, sent by the admin."""
        return self._registry.functions.grantRole(REGULATOR_ROLE, _address(address, "address"))

    def grant_regulator(self, address: str, *, timeout: float = 30.0) -> TxResult:
        """Make ``address`` (a regulator's own key) a regulator, as the admin, and wait."""
        tx_hash = self._send(self.grant_regulator_call(address))
        return self.wait_for_receipt(tx_hash, timeout=timeout)
