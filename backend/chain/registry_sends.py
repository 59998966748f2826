"""The registry's three transactions, built (to sign and store) or sent, and waited for.

:meth:`RegistrySends.anchor_call` and its siblings build the contract call, which the anchoring
service signs with ``sign_call`` and stores before broadcasting it (``tx_records``);
``send_*`` sign and send at once and return the hash (scripts, tests, the benchmark); the
blocking ``anchor_batch``/``record_lot_event``/``recall`` also wait for the receipt.

``recall`` is a regulator's own transaction: the platform's key holds no ``REGULATOR_ROLE`` and
relays regulators' signed recalls instead (``registry_signers.recall_with_signature_call``).
"""

from __future__ import annotations

from abc import abstractmethod

from eth_typing import HexStr
from web3.contract import Contract
from web3.contract.contract import ContractFunction

from backend.chain.sender import ChainSender
from backend.chain.types import HeadsUpdate, TxResult


def bytes32(value: bytes, name: str) -> bytes:
    """``value`` as the 32 bytes a ``bytes32`` argument takes; ValueError otherwise."""
    if not isinstance(value, bytes | bytearray) or len(value) != 32:
        raise ValueError(f"{name} must be 32 bytes")
    return bytes(value)


_bytes32 = bytes32


class RegistrySends(ChainSender):
    """The registry's transactions; :class:`~backend.chain.ChainClient` binds the registry."""

    @property
    @abstractmethod
    def _registry(self) -> Contract:
        """The registry in use (raises when none is attached)."""

    @abstractmethod
    def heads_root(self, *, block: int | None = None) -> bytes:
        """The registry's heads root at ``block`` (None: now)."""

    # ------------------------------------------------------------------------- sending

    def anchor_call(
        self, root: bytes, count: int, heads: HeadsUpdate | None = None
    ) -> ContractFunction:
        """``anchorBatch(root, count, prev, new)``, to sign (``sign_call``) or send.

        ``heads`` None keeps the registry's current heads root (read now): a bare anchor.
        """
        update = heads if heads is not None else HeadsUpdate.keep(self.heads_root())
        return self._registry.functions.anchorBatch(
            _bytes32(root, "root"),
            count,
            _bytes32(update.prev, "prev heads root"),
            _bytes32(update.new, "heads root"),
        )

    def lot_event_call(self, lot_key: bytes, kind: int, event_hash: bytes) -> ContractFunction:
        """``recordLotEvent(lotKey, kind, eventHash)``, to sign or send."""
        return self._registry.functions.recordLotEvent(
            _bytes32(lot_key, "lot_key"), kind, _bytes32(event_hash, "event_hash")
        )

    def recall_call(self, lot_key: bytes, reason_hash: bytes) -> ContractFunction:
        """``recall(lotKey, reasonHash)``, to sign or send."""
        return self._registry.functions.recall(
            _bytes32(lot_key, "lot_key"), _bytes32(reason_hash, "reason_hash")
        )

    def send_anchor_batch(
        self, root: bytes, count: int, heads: HeadsUpdate | None = None
    ) -> HexStr:
        """Send ``anchorBatch`` (see :meth:`anchor_call`) and return the hash without waiting."""
        return self._send(self.anchor_call(root, count, heads))

    def send_record_lot_event(self, lot_key: bytes, kind: int, event_hash: bytes) -> HexStr:
        """Send ``recordLotEvent(lotKey, kind, eventHash)`` and return the hash."""
        return self._send(self.lot_event_call(lot_key, kind, event_hash))

    def send_recall(self, lot_key: bytes, reason_hash: bytes) -> HexStr:
        """Send ``recall(lotKey, reasonHash)`` and return the hash."""
        return self._send(self.recall_call(lot_key, reason_hash))

    # ----------------------------------------------------------- blocking conveniences

    def anchor_batch(
        self,
        root: bytes,
        count: int,
        heads: HeadsUpdate | None = None,
        *,
        timeout: float = 30.0,
    ) -> TxResult:
        tx_hash = self.send_anchor_batch(root, count, heads)
        return self.wait_for_receipt(tx_hash, timeout=timeout)

    def record_lot_event(
        self, lot_key: bytes, kind: int, event_hash: bytes, *, timeout: float = 30.0
    ) -> TxResult:
        tx_hash = self.send_record_lot_event(lot_key, kind, event_hash)
        return self.wait_for_receipt(tx_hash, timeout=timeout)

    def recall(self, lot_key: bytes, reason_hash: bytes, *, timeout: float = 30.0) -> TxResult:
        return self.wait_for_receipt(self.send_recall(lot_key, reason_hash), timeout=timeout)
