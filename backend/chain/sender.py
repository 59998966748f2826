"""A signer on one node: send transactions with local nonces, then wait for their receipts.

Sending is split from waiting (``_send`` returns the hash at once, :meth:`wait_for_receipt`
blocks) so the anchoring worker can record a sent transaction before it is mined. Every web3
call runs inside :func:`translate_errors`, so callers only ever see
:class:`~backend.chain.errors.ChainError` subclasses, with contract reverts decoded to their
custom error names by the artifact the sender was given. :class:`~backend.chain.ChainClient`
builds the registry's calls on top of this.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, cast

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from web3 import Web3
from web3.contract.contract import ContractConstructor, ContractFunction
from web3.exceptions import ContractLogicError, TimeExhausted, Web3RPCError
from web3.providers.eth_tester import EthereumTesterProvider
from web3.types import Nonce, TxParams, TxReceipt

from backend.chain.artifacts import ContractArtifact, registry_artifact
from backend.chain.errors import (
    ChainRejected,
    ChainReverted,
    ChainTimeout,
    reverted,
    to_chain_error,
    translate_errors,
)
from backend.chain.nonces import NonceManager
from backend.chain.signer import refuse_demo_key_off_dev_chain
from backend.chain.tx_records import Broadcast, Fees, SignedTx, broadcast_outcome, replacement, sign
from backend.chain.types import TxResult

logger = logging.getLogger(__name__)

#: Head room over the estimate: the estimate is exact for our functions, but state can move
#: between estimate and inclusion (e.g. a cold slot turning warm or vice versa).
GAS_MARGIN_NUM, GAS_MARGIN_DEN = 6, 5
Transactable = ContractFunction | ContractConstructor
#: Called right before a transaction leaves (the sender's fence); raises to stop the send.
Fence = Callable[[], None]


class ChainSender:
    """One account signing on one node, with the artifact that decodes its reverts."""

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount,
        *,
        endpoint: str,
        artifact: ContractArtifact | None = None,
        poll_interval: float = 0.1,
    ) -> None:
        self._w3 = w3
        self._account = account
        self._endpoint = endpoint
        self._artifact = artifact or registry_artifact()
        self._poll = poll_interval
        self._chain_id: int | None = None
        self._nonces = NonceManager(self._pending_nonce)
        #: Checked before every ``_send`` broadcast (a deployment under the sender lease).
        self.fence: Fence | None = None

    # ------------------------------------------------------------------------- properties

    @property
    def w3(self) -> Web3:
        return self._w3

    @property
    def endpoint(self) -> str:
        """The RPC URL (or ``memory``), for messages and logs."""
        return self._endpoint

    @property
    def artifact(self) -> ContractArtifact:
        """The compiled registry this client deploys and decodes reverts with."""
        return self._artifact

    @property
    def signer(self) -> ChecksumAddress:
        return self._account.address

    @property
    def chain_id(self) -> int:
        """The node's chain id, read once (it cannot change under a running node).

        Every transaction names it, so this is where the demo key is refused off a development
        chain: no id, nothing signed (the refusal is not cached, it repeats on every read).
        """
        if self._chain_id is None:
            with self._boundary():
                chain_id = int(self._w3.eth.chain_id)
            in_process = isinstance(self._w3.provider, EthereumTesterProvider)
            refuse_demo_key_off_dev_chain(
                self.signer, chain_id, endpoint=self._endpoint, in_process=in_process
            )
            self._chain_id = chain_id
        return self._chain_id

    def _boundary(self) -> AbstractContextManager[None]:
        return translate_errors(endpoint=self._endpoint, decode=self._artifact.decode_revert)

    # ----------------------------------------------------------------- health and blocks

    def is_connected(self) -> bool:
        """Whether the node answers now; never raises."""
        try:
            return bool(self._w3.is_connected())
        except Exception:  # web3 swallows most errors itself; this is the belt to its braces
            return False

    def block_number(self) -> int:
        with self._boundary():
            return int(self._w3.eth.block_number)

    def receipt_confirmations(self, block_number: int) -> int:
        """How many blocks (including its own) now sit on top of ``block_number``; 0 if ahead."""
        return max(0, self.block_number() - block_number + 1)

    # ------------------------------------------------------------------------- sending

    def _pending_nonce(self) -> int:
        return int(self._w3.eth.get_transaction_count(self.signer, "pending"))

    def _fees(self) -> TxParams:
        return self.market_fees().params()

    def market_fees(self) -> Fees:
        """Fees a new transaction is priced at now: twice the base fee plus the node's tip
        (room for six full blocks of base fee growth), or the gas price before London."""
        with self._boundary():
            latest = self._w3.eth.get_block("latest")
            base_fee = latest.get("baseFeePerGas")
            if base_fee is None:  # a pre-London chain (some consortium networks)
                return Fees(gas_price=int(self._w3.eth.gas_price))
            tip = int(self._w3.eth.max_priority_fee)
        return Fees(max_fee_per_gas=2 * int(base_fee) + tip, max_priority_fee_per_gas=tip)

    def account_nonce(self, block: str = "latest") -> int:
        """The signer's transaction count at ``block``: ``latest`` is the mined nonce (every
        nonce below it is used for good, up to a reorg), ``pending`` adds the node's pool."""
        with self._boundary():
            return int(self._w3.eth.get_transaction_count(self.signer, block))  # type: ignore[arg-type]

    def sign_call(self, call: Transactable, *, nonce: int, fees: Fees) -> SignedTx:
        """Pre-flight ``call`` (a revert raises ChainReverted, decoded) and sign it at
        ``nonce``; nothing is sent: the caller stores the result, then :meth:`broadcast`s it."""
        with self._boundary():
            estimate = call.estimate_gas({"from": self.signer})
            params: TxParams = {
                "from": self.signer,
                "chainId": self.chain_id,
                "gas": estimate * GAS_MARGIN_NUM // GAS_MARGIN_DEN,
                "nonce": Nonce(nonce),
                **fees.params(),
            }
            tx = dict(call.build_transaction(params))
        tx.pop("from", None)
        return sign(self._account, tx, fees)

    def sign_filler(self, *, nonce: int, fees: Fees) -> SignedTx:
        """An empty transfer to the signer itself at ``nonce``: fills a nonce nothing else will
        (a chain reset under stored transactions), so that later ones can be mined."""
        fields = {"to": self.signer, "value": 0, "gas": 21_000, "data": b"", "nonce": nonce}
        return sign(self._account, {**fields, "chainId": self.chain_id}, fees)

    def sign_replacement(self, raw: bytes, fees: Fees) -> SignedTx:
        """``raw`` signed again at its own nonce with ``fees`` (see ``Fees.bumped``)."""
        return replacement(self._account, raw, fees, chain_id=self.chain_id)

    def broadcast(self, raw: bytes) -> Broadcast:
        """Send stored bytes; a node that has them already, or has mined their nonce, is not an
        error (the bytes are the same: nothing can be sent twice). Other refusals raise
        ChainRejected; a node that does not answer raises ChainUnavailable (it may have them)."""
        try:
            with self._boundary():
                self._w3.eth.send_raw_transaction(raw)
        except ChainRejected as exc:
            outcome = broadcast_outcome(str(exc))
            if outcome is None:
                raise
            logger.info("broadcast answered %s: %s", outcome.value, exc)
            return outcome
        return Broadcast.SENT

    def _send(self, call: Transactable) -> HexStr:
        """Pre-flight, sign with a locally allocated nonce, send; one retry on a nonce clash."""
        for attempt in (1, 2):
            try:
                return self._send_once(call)
            except ChainRejected as exc:
                if attempt == 2 or "nonce" not in str(exc).lower():
                    raise
                logger.warning("nonce clash (%s); re-reading the pending count", exc)
        raise AssertionError("unreachable")

    def _send_once(self, call: Transactable) -> HexStr:
        with self._boundary():
            # The estimate is the pre-flight: a revert surfaces here as ChainReverted with the
            # custom error decoded, before any nonce is spent.
            estimate = call.estimate_gas({"from": self.signer})
            params: TxParams = {
                "from": self.signer,
                "chainId": self.chain_id,
                "gas": estimate * GAS_MARGIN_NUM // GAS_MARGIN_DEN,
                **self._fees(),
            }
            with self._nonces.reserve() as nonce:
                params["nonce"] = Nonce(nonce)
                tx = call.build_transaction(params)
                signed = self._account.sign_transaction(cast(dict[str, Any], tx))
                if self.fence is not None:
                    self.fence()
                tx_hash = self._w3.eth.send_raw_transaction(signed.raw_transaction)
        logger.debug("sent %s nonce %d", tx_hash.to_0x_hex(), nonce)
        return HexStr(tx_hash.to_0x_hex())

    # ------------------------------------------------------------------------- waiting

    def wait_for_receipt(
        self, tx_hash: HexStr, *, confirmations: int = 1, timeout: float = 30.0
    ) -> TxResult:
        """Block until ``tx_hash`` is mined and ``confirmations`` deep.

        Raises ChainReverted (custom error decoded by replaying the call) for a failed
        transaction and ChainTimeout when either step takes longer than ``timeout`` seconds.
        """
        receipt = self._mined_receipt(tx_hash, confirmations=confirmations, timeout=timeout)
        return TxResult(
            tx_hash=tx_hash,
            block_number=int(receipt["blockNumber"]),
            gas_used=int(receipt["gasUsed"]),
            status=int(receipt["status"]),
        )

    def _mined_receipt(self, tx_hash: HexStr, *, confirmations: int, timeout: float) -> TxReceipt:
        deadline = time.monotonic() + timeout
        with self._boundary():
            try:
                receipt = self._w3.eth.wait_for_transaction_receipt(
                    tx_hash, timeout=timeout, poll_latency=self._poll
                )
            except TimeExhausted as exc:
                raise ChainTimeout(f"transaction {tx_hash} not mined within {timeout:g} s") from exc
            if receipt["status"] != 1:
                raise self._explain_failure(tx_hash, receipt)
            while self.receipt_confirmations(receipt["blockNumber"]) < confirmations:
                if time.monotonic() >= deadline:
                    raise ChainTimeout(
                        f"transaction {tx_hash} not {confirmations} blocks deep "
                        f"within {timeout:g} s"
                    )
                time.sleep(self._poll)
        return receipt

    def _explain_failure(self, tx_hash: HexStr, receipt: TxReceipt) -> ChainReverted:
        """Replay a failed transaction as a call on its block to recover the revert reason."""
        tx = self._w3.eth.get_transaction(tx_hash)
        replay: TxParams = {
            "from": tx["from"],
            "to": tx["to"],
            "data": tx["input"],
            "value": tx["value"],
            "gas": tx["gas"],
        }
        try:
            self._w3.eth.call(replay, receipt["blockNumber"])
        except (ContractLogicError, Web3RPCError) as exc:
            mapped = to_chain_error(
                exc, endpoint=self._endpoint, decode=self._artifact.decode_revert
            )
            if isinstance(mapped, ChainReverted) and mapped.revert is not None:
                message = f"transaction {tx_hash} reverted: {mapped.revert}"
                return reverted(message, mapped.revert, tx_hash=tx_hash)
            return ChainReverted(f"transaction {tx_hash} reverted: {exc}", tx_hash=tx_hash)
        return ChainReverted(
            f"transaction {tx_hash} reverted (gas used {receipt['gasUsed']} of {tx['gas']}); "
            "the reason could not be replayed",
            tx_hash=tx_hash,
        )
