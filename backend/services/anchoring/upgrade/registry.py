"""Upgrade step 1: the registry in use becomes a rules v2 one; the v1 one stays readable.

A v2 registry answers ``headsRoot()``; a v1 registry has no such function and no fallback, so
the call reverts without a reason. On a v1 registry a v2 one is deployed (under the sender lock,
so no anchor is sent meanwhile), the client switches to it and keeps the old one as a retired
registry, and both are remembered where the runtime keeps its registry: the list of retired
ones first, so that a crash in between never leaves an installation that forgot the registry
holding its older anchors (at worst a second v2 registry is deployed on the next run). The new
registry's deployment record is written and, on a chain that is not a development chain,
published as any first deployment's is (``chain.deployment``).
"""

from __future__ import annotations

import logging
from pathlib import Path

from eth_typing import ChecksumAddress

from backend.chain import ChainClient, ChainReverted
from backend.chain import deployment as deployments
from backend.chain.legacy import Retired, read_retired, write_retired

logger = logging.getLogger(__name__)


def registry_version(chain: ChainClient) -> int:
    """2 for a registry that answers ``headsRoot()``, 1 for one that reverts on it unexplained."""
    try:
        chain.heads_root()
    except ChainReverted as exc:
        if exc.revert is not None:  # a reason the ABI knows is not "no such function"
            raise
        return 1
    return 2


def switch_registry(chain: ChainClient, *, remember_file: Path | None) -> ChecksumAddress | None:
    """Deploy a v2 registry in place of a v1 one; returns its address (None: already v2)."""
    if registry_version(chain) == 2:
        return None
    old, old_block = chain.contract_address, chain.from_block
    assert old is not None, "the chain client has no registry attached"
    new = chain.deploy_registry()
    chain.retire(old, from_block=old_block)
    logger.warning("rules v1 registry %s retired; rules v2 registry %s deployed", old, new)
    record = chain.last_deployment
    if remember_file is not None:
        retired = [r for r in read_retired(remember_file) if r.address != old]
        write_retired(remember_file, [*retired, Retired(old, old_block)])
        if record is not None:
            deployments.write_deployment(remember_file, record)
    if record is not None:
        deployments.publish_deployment(record)  # a chain that is not a development chain
    return new
