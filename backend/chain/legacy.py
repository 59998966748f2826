"""Registries this installation anchored on before ``sentrace upgrade``: read, never written.

Upgrading from proof rules v1 deploys a v2 registry and retires the v1 one, but the roots,
recalls and milestones the v1 registry holds stay the proof of everything anchored before. So
the client keeps a :class:`LegacyRegistry` per retired address, with the v1 ABI (its
``BatchAnchored`` log has no heads root), and answers ``anchorOf`` and ``isRecalled`` there
for whoever asks for the batch's own registry. Nothing is ever sent to a legacy registry.
One whose code is gone (a development chain that lost its state) holds nothing any more: it
answers "not anchored" and "not recalled", and reconcile anchors those batches again.

The retired addresses are remembered beside the runtime's record of its registry
(``contract-<chain_id>.retired.json`` in the data folder), with the block each was deployed
in, since log queries start there.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from eth_typing import ChecksumAddress
from eth_utils import to_checksum_address
from web3 import Web3
from web3.contract import Contract

from backend.chain.artifacts import legacy_registry_artifact
from backend.chain.errors import ChainConfigError, ContractNotFound, translate_errors
from backend.chain.registry_logs import LogReader
from backend.chain.types import AnchorInfo, AnchorLog


@dataclass(frozen=True)
class Retired:
    """A registry anchored on before an upgrade, and the block it was deployed in."""

    address: ChecksumAddress
    block_number: int


def retired_file(remember_file: Path) -> Path:
    """Where the registries retired on a chain are listed, beside the record of its registry."""
    return remember_file.with_name(f"{remember_file.stem}.retired.json")


def read_retired(remember_file: Path) -> tuple[Retired, ...]:
    """The retired registries listed beside ``remember_file``, oldest first (none: empty)."""
    path = retired_file(remember_file)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return tuple(
            Retired(to_checksum_address(item["address"]), int(item["block_number"]))
            for item in raw["retired"]
        )
    except FileNotFoundError:
        return ()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        # Unlike a lost registry address, a lost list would hide every anchor made before the
        # upgrade, so it is never silently ignored.
        raise ChainConfigError(f"unreadable list of retired registries {path}: {exc}") from exc


def write_retired(remember_file: Path, retired: Sequence[Retired]) -> None:
    """List ``retired`` beside ``remember_file``, atomically."""
    path = retired_file(remember_file)
    body = {"retired": [{"address": r.address, "block_number": r.block_number} for r in retired]}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


class AnchorReader(Protocol):
    """What reading one registry's anchors takes: the current one or a legacy one."""

    @property
    def contract_address(self) -> ChecksumAddress | None: ...

    def anchor_of(self, root: bytes) -> AnchorInfo | None: ...

    def anchor_receipt(
        self, root: bytes, *, tx_hash: str | None = None, timestamp: int | None = None
    ) -> AnchorLog | None: ...


class LegacyRegistry:
    """A retired rules v1 registry at ``address`` on the client's node (reads only)."""

    def __init__(
        self, w3: Web3, address: ChecksumAddress, *, endpoint: str, from_block: int = 0
    ) -> None:
        artifact = legacy_registry_artifact()
        self._contract: Contract = w3.eth.contract(address=address, abi=artifact.abi)
        self._endpoint = endpoint
        self._decode = artifact.decode_revert
        self.from_block = from_block
        #: Its client's log reader once retired through ``ChainClient.retire`` (same node).
        self.logs = LogReader(w3)

    @property
    def contract_address(self) -> ChecksumAddress:
        return self._contract.address

    def _boundary(self) -> AbstractContextManager[None]:
        return translate_errors(endpoint=self._endpoint, decode=self._decode)

    def anchor_of(self, root: bytes) -> AnchorInfo | None:
        """The anchor of ``root`` on this registry, or None when it was never anchored here."""
        try:
            with self._boundary():
                timestamp, count, anchorer = self._contract.functions.anchorOf(root).call()
        except ContractNotFound:
            return None
        if timestamp == 0:
            return None
        return AnchorInfo(timestamp=timestamp, event_count=count, anchorer=anchorer)

    def anchor_receipt(
        self, root: bytes, *, tx_hash: str | None = None, timestamp: int | None = None
    ) -> AnchorLog | None:
        """Block and transaction of the v1 ``BatchAnchored`` log of ``root`` (its heads root:
        zero, since a v1 anchor moves none), or None; ``tx_hash`` and ``timestamp`` say where
        to look first, as for ``ChainClient.anchor_receipt``."""
        with self._boundary():
            return self.logs.anchor(
                self._contract, root, start=self.from_block, tx_hash=tx_hash, timestamp=timestamp
            )

    def is_recalled(self, lot_key: bytes) -> bool:
        try:
            with self._boundary():
                return bool(self._contract.functions.isRecalled(lot_key).call())
        except ContractNotFound:
            return False
