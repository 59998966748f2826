"""The SenTrace view of a chain: deploy or attach the registry, send, wait, read.

One class serves both providers (eth-tester in process and JSON-RPC nodes) because both are a
plain :class:`Web3` underneath. Every web3 call runs inside :func:`translate_errors`, so callers
only ever see :class:`~backend.chain.errors.ChainError` subclasses, with contract reverts
decoded to their custom error names.

Sending is split from waiting (``send_*`` returns the hash at once, :meth:`wait_for_receipt`
blocks) so the anchoring worker can record a sent transaction before it is mined; the blocking
``anchor_batch``/``record_lot_event``/``recall`` are for scripts and tests.
"""

from __future__ import annotations

import logging
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, cast

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from eth_utils import is_address, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractConstructor, ContractFunction
from web3.exceptions import ContractLogicError, TimeExhausted, Web3RPCError
from web3.types import Nonce, TxParams, TxReceipt, Wei

from backend.chain import deployment as deployments
from backend.chain.artifacts import ContractArtifact, registry_artifact
from backend.chain.errors import (
    ChainConfigError,
    ChainRejected,
    ChainReverted,
    ChainTimeout,
    ContractNotFound,
    to_chain_error,
    translate_errors,
)
from backend.chain.nonces import NonceManager
from backend.chain.providers import fund_from_tester, http_web3, memory_web3
from backend.chain.signer import resolve_signer
from backend.chain.types import AnchorInfo, AnchorLog, LotEventLog, TxResult
from backend.config import MEMORY_CHAIN, Settings

logger = logging.getLogger(__name__)

#: Head room over the estimate: the estimate is exact for our functions, but state can move
#: between estimate and inclusion (e.g. a cold slot turning warm or vice versa).
GAS_MARGIN_NUM, GAS_MARGIN_DEN = 6, 5
Transactable = ContractFunction | ContractConstructor


def _bytes32(value: bytes, name: str) -> bytes:
    if not isinstance(value, bytes | bytearray) or len(value) != 32:
        raise ValueError(f"{name} must be 32 bytes")
    return bytes(value)


class ChainClient:
    """A signer plus (once deployed or attached) the TraceRegistry on one chain."""

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
        self._contract: Contract | None = None
        self._from_block = 0
        self._nonces = NonceManager(self._pending_nonce)

    # ----------------------------------------------------------------------- construction

    @classmethod
    def from_settings(cls, settings: Settings, *, rpc_url: str | None = None) -> ChainClient:
        """A client for ``rpc_url`` (or ``settings.chain_rpc_url``); ``"memory"`` = eth-tester.

        No network call is made here, so a process can start while its node is still down.
        """
        url = rpc_url or settings.chain_rpc_url
        if not url:
            raise ChainConfigError("no chain RPC URL: start a managed anvil and pass its URL")
        account = resolve_signer(settings)
        if url == MEMORY_CHAIN:
            return cls.in_memory(account)
        if not url.startswith(("http://", "https://")):
            raise ChainConfigError(f"unsupported chain RPC URL {url!r}: use http(s):// or memory")
        return cls(http_web3(url), account, endpoint=url)

    @classmethod
    def in_memory(cls, account: LocalAccount) -> ChainClient:
        """A fresh in-process chain with ``account`` funded from eth-tester's first account."""
        w3 = memory_web3()
        fund_from_tester(w3, account.address)
        return cls(w3, account, endpoint=MEMORY_CHAIN, poll_interval=0.01)

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
        """The node's chain id, read once (it cannot change under a running node)."""
        if self._chain_id is None:
            with self._boundary():
                self._chain_id = self._w3.eth.chain_id
        return self._chain_id

    @property
    def contract_address(self) -> ChecksumAddress | None:
        return self._contract.address if self._contract is not None else None

    @property
    def _registry(self) -> Contract:
        if self._contract is None:
            raise ChainConfigError("no registry attached: call ensure_registry() first")
        return self._contract

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

    # ------------------------------------------------------------- deploying, attaching

    def deploy_registry(self) -> ChecksumAddress:
        """Deploy a new TraceRegistry with the signer as admin and holder of all three roles."""
        factory = self._w3.eth.contract(abi=self._artifact.abi, bytecode=self._artifact.bytecode)
        tx_hash = self._send(factory.constructor(self.signer))
        receipt = self._mined_receipt(tx_hash, confirmations=1, timeout=60.0)
        address = receipt["contractAddress"]
        if address is None:
            raise ContractNotFound(f"deployment {tx_hash} produced no contract")
        self._bind(to_checksum_address(address), receipt["blockNumber"])
        logger.info("deployed TraceRegistry at %s on chain %d", address, self.chain_id)
        return to_checksum_address(address)

    def attach(self, address: str, *, from_block: int = 0) -> ChecksumAddress:
        """Use the registry at ``address``; raises ContractNotFound when it holds no code."""
        if not is_address(address):
            raise ChainConfigError(f"not an address: {address!r}")
        checksum = to_checksum_address(address)
        with self._boundary():
            code = self._w3.eth.get_code(checksum)
        if len(code) == 0:
            raise ContractNotFound(f"no contract code at {checksum} on chain {self.chain_id}")
        if code.to_0x_hex() != self._artifact.deployed_bytecode:
            logger.warning(
                "code at %s differs from the TraceRegistry build in this checkout "
                "(another compiler run or version); using it anyway",
                checksum,
            )
        self._bind(checksum, from_block)
        return checksum

    def _bind(self, address: ChecksumAddress, from_block: int) -> None:
        self._contract = self._w3.eth.contract(address=address, abi=self._artifact.abi)
        self._from_block = from_block

    def remember_file(self, data_dir: Path) -> Path:
        """The file in ``data_dir`` that remembers this chain's registry."""
        return deployments.remember_file(data_dir, self.chain_id)

    def ensure_registry(
        self, address: str | None = None, *, remember_file: Path | None = None
    ) -> ChecksumAddress:
        """Attach to ``address``; else to the remembered one if it still has code; else deploy.

        A remembered address without code means the chain was reset (e.g. anvil state lost):
        a new registry is deployed and remembered, and the anchoring service re-sends roots.
        """
        if address:
            return self.attach(address)
        if remember_file is not None:
            known = deployments.read_deployment(remember_file, self.chain_id)
            if known is not None:
                try:
                    return self.attach(known.address, from_block=known.block_number)
                except ContractNotFound:
                    logger.warning(
                        "remembered registry %s has no code on chain %d (chain reset?); "
                        "deploying a new one",
                        known.address,
                        self.chain_id,
                    )
        deployed = self.deploy_registry()
        if remember_file is not None:
            record = deployments.Deployment(self.chain_id, deployed, self._from_block)
            deployments.write_deployment(remember_file, record)
        return deployed

    # ------------------------------------------------------------------------- sending

    def _pending_nonce(self) -> int:
        return int(self._w3.eth.get_transaction_count(self.signer, "pending"))

    def _fees(self) -> TxParams:
        latest = self._w3.eth.get_block("latest")
        base_fee = latest.get("baseFeePerGas")
        if base_fee is None:  # a pre-London chain (some consortium networks)
            return {"gasPrice": self._w3.eth.gas_price}
        tip = self._w3.eth.max_priority_fee
        return {"maxFeePerGas": Wei(2 * base_fee + tip), "maxPriorityFeePerGas": tip}

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
                tx_hash = self._w3.eth.send_raw_transaction(signed.raw_transaction)
        logger.debug("sent %s nonce %d", tx_hash.to_0x_hex(), nonce)
        return HexStr(tx_hash.to_0x_hex())

    def send_anchor_batch(self, root: bytes, count: int) -> HexStr:
        """Send ``anchorBatch(root, count)`` and return the hash without waiting."""
        return self._send(self._registry.functions.anchorBatch(_bytes32(root, "root"), count))

    def send_record_lot_event(self, lot_key: bytes, kind: int, event_hash: bytes) -> HexStr:
        """Send ``recordLotEvent(lotKey, kind, eventHash)`` and return the hash."""
        fn = self._registry.functions.recordLotEvent(
            _bytes32(lot_key, "lot_key"), kind, _bytes32(event_hash, "event_hash")
        )
        return self._send(fn)

    def send_recall(self, lot_key: bytes, reason_hash: bytes) -> HexStr:
        """Send ``recall(lotKey, reasonHash)`` and return the hash."""
        fn = self._registry.functions.recall(
            _bytes32(lot_key, "lot_key"), _bytes32(reason_hash, "reason_hash")
        )
        return self._send(fn)

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
                return ChainReverted(
                    f"transaction {tx_hash} reverted: {mapped.revert}",
                    revert=mapped.revert,
                    tx_hash=tx_hash,
                )
            return ChainReverted(f"transaction {tx_hash} reverted: {exc}", tx_hash=tx_hash)
        return ChainReverted(
            f"transaction {tx_hash} reverted (gas used {receipt['gasUsed']} of {tx['gas']}); "
            "the reason could not be replayed",
            tx_hash=tx_hash,
        )

    # ----------------------------------------------------------- blocking conveniences

    def anchor_batch(self, root: bytes, count: int, *, timeout: float = 30.0) -> TxResult:
        return self.wait_for_receipt(self.send_anchor_batch(root, count), timeout=timeout)

    def record_lot_event(
        self, lot_key: bytes, kind: int, event_hash: bytes, *, timeout: float = 30.0
    ) -> TxResult:
        tx_hash = self.send_record_lot_event(lot_key, kind, event_hash)
        return self.wait_for_receipt(tx_hash, timeout=timeout)

    def recall(self, lot_key: bytes, reason_hash: bytes, *, timeout: float = 30.0) -> TxResult:
        return self.wait_for_receipt(self.send_recall(lot_key, reason_hash), timeout=timeout)

    # ------------------------------------------------------------------------- reading

    def anchor_of(self, root: bytes) -> AnchorInfo | None:
        """The stored anchor of ``root``, or None when it was never anchored."""
        with self._boundary():
            timestamp, count, anchorer = self._registry.functions.anchorOf(
                _bytes32(root, "root")
            ).call()
        if timestamp == 0:
            return None
        return AnchorInfo(timestamp=timestamp, event_count=count, anchorer=anchorer)

    def anchor_receipt(self, root: bytes) -> AnchorLog | None:
        """Block and transaction of the ``BatchAnchored`` log of ``root``, or None."""
        with self._boundary():
            logs = self._registry.events.BatchAnchored().get_logs(
                argument_filters={"root": _bytes32(root, "root")}, from_block=self._from_block
            )
        if not logs:
            return None
        first = min(logs, key=lambda log: (log["blockNumber"], log["logIndex"]))
        return AnchorLog(
            block_number=int(first["blockNumber"]),
            tx_hash=HexStr(first["transactionHash"].to_0x_hex()),
        )

    def lot_events(self, lot_key: bytes) -> list[LotEventLog]:
        """Every milestone recorded for ``lot_key``, oldest first."""
        with self._boundary():
            logs = self._registry.events.LotEventRecorded().get_logs(
                argument_filters={"lotKey": _bytes32(lot_key, "lot_key")},
                from_block=self._from_block,
            )
        events = [
            LotEventLog(
                kind=int(log["args"]["kind"]),
                event_hash=bytes(log["args"]["eventHash"]),
                recorder=to_checksum_address(log["args"]["recorder"]),
                block_number=int(log["blockNumber"]),
                log_index=int(log["logIndex"]),
                tx_hash=HexStr(log["transactionHash"].to_0x_hex()),
            )
            for log in logs
        ]
        return sorted(events, key=lambda e: (e.block_number, e.log_index))

    def is_recalled(self, lot_key: bytes) -> bool:
        with self._boundary():
            return bool(self._registry.functions.isRecalled(_bytes32(lot_key, "lot_key")).call())

    def verify(self, proof: list[bytes], root: bytes, lot_key: bytes, event_hash: bytes) -> bool:
        """The contract's own check of a Merkle proof (false for a root that is not anchored)."""
        steps = [_bytes32(step, "proof step") for step in proof]
        with self._boundary():
            return bool(
                self._registry.functions.verify(
                    steps,
                    _bytes32(root, "root"),
                    _bytes32(lot_key, "lot_key"),
                    _bytes32(event_hash, "event_hash"),
                ).call()
            )
