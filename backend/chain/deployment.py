"""Remembering which registry this installation deployed, per chain.

A managed anvil keeps its state in the data folder; the registry address on that chain is kept
next to it (``contract-<chain_id>.json``) so a restart attaches to the same contract instead of
deploying a new, empty one. The deployment block is kept too: log queries start there.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from eth_typing import ChecksumAddress
from eth_utils import is_address, to_checksum_address

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deployment:
    """A registry deployed on one chain."""

    chain_id: int
    address: ChecksumAddress
    block_number: int


def remember_file(data_dir: Path, chain_id: int) -> Path:
    """Where the registry of ``chain_id`` is remembered inside the data folder."""
    return data_dir / f"contract-{chain_id}.json"


def read_deployment(path: Path, chain_id: int) -> Deployment | None:
    """The remembered deployment, or None when absent, unreadable or for another chain."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        remembered = Deployment(
            chain_id=int(raw["chain_id"]),
            address=to_checksum_address(raw["address"]),
            block_number=int(raw.get("block_number", 0)),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("ignoring unreadable registry file %s: %s", path, exc)
        return None
    if remembered.chain_id != chain_id or not is_address(remembered.address):
        logger.warning("ignoring registry file %s: it is for chain %d", path, remembered.chain_id)
        return None
    return remembered


def write_deployment(path: Path, deployment: Deployment) -> None:
    """Write atomically, so a crash never leaves half a file that would hide the address."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    body = {
        "chain_id": deployment.chain_id,
        "address": deployment.address,
        "block_number": deployment.block_number,
    }
    tmp.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
