"""The SenTrace view of a chain: deploy or attach the registry, send its calls, read it.

One class serves both providers (eth-tester in process and JSON-RPC nodes) because both are a
plain :class:`Web3` underneath. Signing, sending, waiting and the error boundary live in
:class:`~backend.chain.sender.ChainSender`; this class adds the TraceRegistry: its deployment,
its transactions (``registry_sends``), its signing keys and relayed statements
(``registry_signers``) and its reads.

``send_*`` returns the hash at once (the anchoring worker records a sent transaction before it
is mined); the blocking ``anchor_batch``/``record_lot_event``/``recall`` are for scripts and
tests.

Registries retired by ``sentrace upgrade`` (rules v1) stay readable through
:attr:`ChainClient.legacy_registries`: a batch's anchor is read on the registry it was anchored
on (:meth:`ChainClient.registry_for`), and a recall on any of them counts. Those, and the
registries that vanished from a development chain before this one was deployed in their place
(the record's ``replaces``), are :attr:`ChainClient.replaced_registries`: an event signed for
one of them still verifies (docs/proof-rules.md section 12.4).

An anchor also moves the registry's heads root (rules v2) by compare-and-swap: the caller gives
a :class:`~backend.chain.types.HeadsUpdate`, or none to leave the heads root as it is (read just
before sending, as scripts and tests that anchor bare roots do). A stale ``prev`` raises
:class:`~backend.chain.errors.StaleHeadsRoot` before any nonce is spent.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils import is_address, to_checksum_address
from web3.contract import Contract

from backend.chain import deployment as deployments
from backend.chain import errors, legacy
from backend.chain.errors import ChainConfigError, ContractNotFound
from backend.chain.legacy import AnchorReader, LegacyRegistry
from backend.chain.providers import fund_from_tester, http_web3, memory_web3
from backend.chain.registry_logs import LogReader
from backend.chain.registry_sends import RegistrySends
from backend.chain.registry_sends import bytes32 as _bytes32
from backend.chain.registry_signers import RegistrySigners
from backend.chain.signer import resolve_signer
from backend.chain.types import AnchorInfo, AnchorLog, LotEventLog
from backend.config import MEMORY_CHAIN, Environment, Settings

logger = logging.getLogger(__name__)


#: A head proof as the contract takes it: (bitmap, siblings), e.g. a ``hashing.HeadProof``.
HeadProofArgs = tuple[int, Sequence[bytes]]


class ChainClient(RegistrySends, RegistrySigners):
    """A signer plus (once deployed or attached) the TraceRegistry on one chain."""

    _contract: Contract | None = None
    _from_block: int = 0
    _legacy: tuple[LegacyRegistry, ...] = ()
    _logs: LogReader | None = None
    #: The record of the registry this client deployed last (None: it only attached).
    last_deployment: deployments.Deployment | None = None
    #: The record remembered for this chain when the retired registries were loaded.
    _remembered: deployments.Deployment | None = None
    deploys_registry: bool = True  #: ensure_registry may deploy; never for production settings
    deploy_admin: str | None = None  #: admin of a registry deployed here (None: the signer)
    deploy_admin_delay: int | None = None  #: its admin transfer delay (None: by chain)

    # ----------------------------------------------------------------------- construction

    @classmethod
    def from_settings(cls, settings: Settings, *, rpc_url: str | None = None) -> ChainClient:
        """A client for ``rpc_url`` (or ``settings.chain_rpc_url``); ``"memory"`` = eth-tester.

        No network call is made here, so a process can start while its node is still down.
        """
        url = rpc_url or settings.chain_rpc_url
        if not url:
            raise ChainConfigError("no chain RPC URL: start a managed anvil and pass its URL")
        if settings.env is Environment.PRODUCTION and not settings.contract_address:
            raise ChainConfigError(errors.REGISTRY_REQUIRED)
        account = resolve_signer(settings)
        if url == MEMORY_CHAIN:
            return cls.in_memory(account).with_log_settings(settings)
        if not url.startswith(("http://", "https://")):
            raise ChainConfigError(f"unsupported chain RPC URL {url!r}: use http(s):// or memory")
        client = cls(http_web3(url), account, endpoint=url)
        client.deploys_registry = settings.env is not Environment.PRODUCTION
        return client.with_log_settings(settings)

    def with_log_settings(self, settings: Settings) -> ChainClient:
        """Log queries as ``settings`` bound them (``registry_logs.LogReader.configured``)."""
        self._logs = LogReader.configured(self._w3, settings)
        return self

    @property
    def log_reader(self) -> LogReader:
        """How this client's node is asked for logs: bounded ranges, cursors, receipts first."""
        if self._logs is None:
            self._logs = LogReader(self._w3)
        return self._logs

    @classmethod
    def in_memory(cls, account: LocalAccount) -> ChainClient:
        """A fresh in-process chain with ``account`` funded from eth-tester's first account."""
        w3 = memory_web3()
        fund_from_tester(w3, account.address)
        return cls(w3, account, endpoint=MEMORY_CHAIN, poll_interval=0.01)

    @property
    def contract_address(self) -> ChecksumAddress | None:
        return self._contract.address if self._contract is not None else None

    @property
    def from_block(self) -> int:
        """The block the registry in use was deployed in (log queries start there)."""
        return self._from_block

    @property
    def legacy_registries(self) -> tuple[LegacyRegistry, ...]:
        """Registries anchored on before an upgrade, oldest first: read, never written."""
        return self._legacy

    @property
    def replaced_registries(self) -> tuple[ChecksumAddress, ...]:
        """The registries the one in use replaced, whose signature domain an event may name:
        the retired ones, then those its record lists as ``replaces`` (vanished, redeployed)."""
        current = self.contract_address
        listed: list[str] = [old.contract_address for old in self._legacy]
        for record in (self.last_deployment, self._remembered):
            if record is not None and record.address == current:
                listed.extend(record.replaced)
                break
        return deployments.distinct(listed, current)

    def retire(self, address: str, *, from_block: int = 0) -> None:
        """Keep reading the registry at ``address``, which an upgrade replaced (idempotent)."""
        checksum = to_checksum_address(address)
        if all(old.contract_address != checksum for old in self._legacy):
            reader = LegacyRegistry(
                self._w3, checksum, endpoint=self.endpoint, from_block=from_block
            )
            reader.logs = self.log_reader
            self._legacy = (*self._legacy, reader)

    def registry_for(self, address: str | None) -> AnchorReader:
        """Where a batch recorded as anchored on ``address`` is read: that retired registry,
        or else the registry in use."""
        for old in self._legacy:
            if address is not None and old.contract_address.lower() == address.lower():
                return old
        return self

    def load_retired(self, remember_file: Path, address: str | None) -> str | None:
        """Read the registries retired on this chain (listed beside ``remember_file``); a
        configured ``address`` naming one of them gives way (None) to the remembered registry
        that replaced it."""
        retired = legacy.read_retired(remember_file)
        self._remembered = deployments.read_deployment(remember_file, self.chain_id)
        for old in retired:
            self.retire(old.address, from_block=old.block_number)
        if address and any(old.address.lower() == address.lower() for old in retired):
            logger.warning(
                "configured registry %s was retired by sentrace upgrade; using its successor",
                address,
            )
            return None
        return address

    @property
    def _registry(self) -> Contract:
        if self._contract is None:
            raise ChainConfigError("no registry attached: call ensure_registry() first")
        return self._contract

    # ------------------------------------------------------------- deploying, attaching

    def deploy_registry(self) -> ChecksumAddress:
        """Deploy a new TraceRegistry: the signer is its operator (anchoring and recording),
        ``deploy_admin`` its admin, pauser and signer admin, an admin transfer waiting
        ``deploy_admin_delay`` seconds (None: the signer, and the chain's default delay;
        ``deployment_roles``)."""
        roles = deployments.deployment_roles(
            self.chain_id, self.signer, admin=self.deploy_admin, admin_delay=self.deploy_admin_delay
        )
        factory = self._w3.eth.contract(abi=self._artifact.abi, bytecode=self._artifact.bytecode)
        tx_hash = self._send(factory.constructor(roles.admin_delay, roles.admin, roles.operator))
        receipt = self._mined_receipt(tx_hash, confirmations=1, timeout=60.0)
        address = receipt["contractAddress"]
        if address is None:
            raise ContractNotFound(f"deployment {tx_hash} produced no contract")
        self._bind(to_checksum_address(address), receipt["blockNumber"])
        self.last_deployment = deployments.Deployment(
            chain_id=self.chain_id,
            address=to_checksum_address(address),
            block_number=int(receipt["blockNumber"]),
            tx_hash=tx_hash,
            deployer=self.signer,
            contract=deployments.BuildFacts.of(self._artifact),
            admin=roles.admin,
            operator=roles.operator,
            admin_delay=roles.admin_delay,
        )
        logger.info("deployed TraceRegistry at %s on chain %d", address, self.chain_id)
        return to_checksum_address(address)

    def attach(self, address: str, *, from_block: int | None = None) -> ChecksumAddress:
        """Use the registry at ``address``; raises ContractNotFound when it holds no code.

        Its logs are read from ``from_block``, its deployment block, or when that is unknown
        (None, 0) from ``SENTRACE_REGISTRY_FROM_BLOCK``."""
        if not is_address(address):
            raise ChainConfigError(f"not an address: {address!r}")
        checksum = to_checksum_address(address)
        with self._boundary():
            code = self._w3.eth.get_code(checksum)
        if len(code) == 0:
            raise errors.registry_not_found(checksum, self.chain_id, self.endpoint)
        if code.to_0x_hex() != self._artifact.deployed_bytecode:
            logger.warning(
                "code at %s differs from the TraceRegistry build in this checkout "
                "(another compiler run or version); using it anyway",
                checksum,
            )
        self._bind(checksum, from_block or self.log_reader.default_start)
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

        A remembered address without code means a reset development chain (anvil state lost):
        a new registry is deployed and remembered, and the anchoring service re-sends roots; on
        other chains (a lagging RPC shows no code either) or without ``deploys_registry``, raises.
        A deployment writes its full record to ``remember_file`` and, on a chain that is not a
        development chain, publishes it in contracts/deployments/ (see ``chain.deployment``).
        """
        if remember_file is not None:
            address = self.load_retired(remember_file, address)
        if address:
            return self.attach(address)
        known = None
        if remember_file is not None:
            known = self._remembered  # read by load_retired just above
            if known is not None:
                try:
                    return self.attach(known.address, from_block=known.block_number)
                except ContractNotFound as exc:
                    if not (self.deploys_registry and deployments.is_dev_chain(self.chain_id)):
                        raise ContractNotFound(f"{exc} (remembered in {remember_file})") from None
                    logger.warning(
                        "remembered registry %s has no code on chain %d (chain reset?); "
                        "deploying a new one",
                        known.address,
                        self.chain_id,
                    )
        if not self.deploys_registry:
            raise ChainConfigError(errors.REGISTRY_REQUIRED)
        deployed = self.deploy_registry()
        record = self.last_deployment
        replaces = deployments.successor_replaces(known, deployed)
        if record is not None and replaces:  # events signed for the vanished one still count
            record = self.last_deployment = replace(record, replaces=replaces)
        if remember_file is not None and record is not None:
            deployments.write_deployment(remember_file, record)
        if record is not None:
            deployments.publish_deployment(record)
        return deployed

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

    def anchor_receipt(
        self, root: bytes, *, tx_hash: str | None = None, timestamp: int | None = None
    ) -> AnchorLog | None:
        """Block and transaction of the ``BatchAnchored`` log of ``root``, or None; looked for
        in ``tx_hash``'s receipt, then the blocks of ``timestamp`` (from ``anchorOf``), then
        in bounded scans (``registry_logs.LogReader.anchor``)."""
        root = _bytes32(root, "root")
        with self._boundary():
            return self.log_reader.anchor(
                self._registry, root, start=self._from_block, tx_hash=tx_hash, timestamp=timestamp
            )

    def lot_events(self, lot_key: bytes) -> list[LotEventLog]:
        """Every milestone recorded for ``lot_key``, oldest first."""
        with self._boundary():
            key = _bytes32(lot_key, "lot_key")
            return self.log_reader.lot_events(self._registry, key, start=self._from_block)

    def lot_events_in(self, tx_hash: str, lot_key: bytes) -> list[LotEventLog]:
        """The milestones of ``lot_key`` that transaction ``tx_hash`` recorded (its receipt)."""
        with self._boundary():
            key = _bytes32(lot_key, "lot_key")
            return self.log_reader.lot_events_in(self._registry, tx_hash, key)

    def heads_root(self, *, block: int | None = None) -> bytes:
        """The registry's heads root at ``block`` (None: now; zero: the empty map)."""
        at = "latest" if block is None else block
        with self._boundary():
            return bytes(self._registry.functions.headsRoot().call(block_identifier=at))

    def verify_head(self, lot_key: bytes, head_hash: bytes, seq: int, proof: HeadProofArgs) -> bool:
        """The contract's own fold of a head ``proof`` (bitmap, siblings) against its heads root."""
        bitmap, siblings = proof
        fn = self._registry.functions.verifyHead(
            _bytes32(lot_key, "lot_key"),
            _bytes32(head_hash, "head_hash"),
            seq,
            bitmap,
            list(siblings),
        )
        with self._boundary():
            return bool(fn.call())

    def verify_no_head(self, lot_key: bytes, proof: HeadProofArgs) -> bool:
        """The contract's check that ``lot_key`` has no head (a zero leaf folds to the root)."""
        bitmap, siblings = proof
        fn = self._registry.functions.verifyNoHead(
            _bytes32(lot_key, "lot_key"), bitmap, list(siblings)
        )
        with self._boundary():
            return bool(fn.call())

    def is_recalled(self, lot_key: bytes) -> bool:
        """Whether the lot is recalled on the registry in use or on any retired one."""
        key = _bytes32(lot_key, "lot_key")
        with self._boundary():
            if self._registry.functions.isRecalled(key).call():
                return True
        return any(old.is_recalled(key) for old in self._legacy)

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
