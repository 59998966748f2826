"""Upgrade step 1: the registry in use becomes a rules v2 one; the v1 one stays readable.

A v2 registry answers ``headsRoot()``; a v1 registry has no such function and no fallback, so
the call reverts without a reason. On a v1 registry a v2 one is deployed (under the sender lock,
so no anchor is sent meanwhile), the client switches to it and keeps the old one as a retired
registry, and both are remembered where the runtime keeps its registry: the list of retired
ones first, so that a crash in between never leaves an installation that forgot the registry
holding its older anchors (at worst a second v2 registry is deployed on the next run). The new
registry's deployment record is written and, on a chain that is not a development chain,
published as any first deployment's is (``chain.deployment``). It lists the retired registries
too (``retired``: address, deployment block, the block of their retirement, their build when
the old record named it), since an auditor's ``verify-proof`` trusts only what the record
names and old batches are anchored there. An installation upgraded before records carried
that list gets it on the next run (without the retirement block, which nobody recorded).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from eth_typing import ChecksumAddress

from backend.chain import ChainClient, ChainReverted
from backend.chain import deployment as deployments
from backend.chain.deployment import RetiredRegistry
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
        if remember_file is not None:
            _list_retired_in_record(chain, remember_file)
        return None
    old = chain.contract_address
    assert old is not None, "the chain client has no registry attached"
    previous = deployments.read_deployment(remember_file, chain.chain_id) if remember_file else None
    if previous is not None and previous.address != old:
        previous = None  # the record names another registry: nothing of it describes ``old``
    old_block = previous.block_number if previous is not None else chain.from_block
    new = chain.deploy_registry()
    chain.retire(old, from_block=old_block)
    logger.warning("rules v1 registry %s retired; rules v2 registry %s deployed", old, new)
    record = chain.last_deployment
    if record is not None:
        retiring = RetiredRegistry(
            old,
            old_block,
            retired_at_block=record.block_number,
            contract=previous.contract if previous is not None else None,
        )
        known = previous.retired if previous is not None else ()
        record = replace(record, retired=_retired(chain, known, retiring))
        chain.last_deployment = record
    if remember_file is not None:
        retired = [r for r in read_retired(remember_file) if r.address != old]
        write_retired(remember_file, [*retired, Retired(old, old_block)])
        if record is not None:
            deployments.write_deployment(remember_file, record)
    if record is not None:
        deployments.publish_deployment(record)  # a chain that is not a development chain
    return new


def _retired(
    chain: ChainClient, known: Sequence[RetiredRegistry], retiring: RetiredRegistry | None = None
) -> tuple[RetiredRegistry, ...]:
    """The registries a record lists as retired: those it listed already, then each one the
    client reads that it did not (``retiring`` as given, any other with what the client knows).
    Nothing listed is ever dropped: a registry missing from the list hides its anchors."""
    listed = list(known)
    seen = {old.address for old in listed}
    for reader in chain.legacy_registries:
        address = reader.contract_address
        if address in seen:
            continue
        if retiring is not None and retiring.address == address:
            listed.append(retiring)
        else:
            listed.append(RetiredRegistry(address, reader.from_block))
        seen.add(address)
    return tuple(listed)


def _list_retired_in_record(chain: ChainClient, remember_file: Path) -> None:
    """Add to the record of the registry in use the retired registries it does not list yet
    (an installation upgraded before records listed them); a complete record is left as is."""
    record = deployments.read_deployment(remember_file, chain.chain_id)
    if record is None or record.address != chain.contract_address:
        return
    retired = _retired(chain, record.retired)
    if retired == record.retired:
        return
    record = replace(record, retired=retired)
    deployments.write_deployment(remember_file, record)
    deployments.publish_deployment(record)
    logger.info("deployment record %s now lists the retired registries", remember_file)
