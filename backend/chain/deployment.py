"""Deployment records: which registry this installation deployed, per chain, and how.

A record names the chain, the registry's address, the deploying transaction and block, the
deployer and the build (contract name, compiler, source hash, bytecode hashes). It serves two
readers:

* the runtime, which attaches to the same contract after a restart instead of deploying a new,
  empty one, and starts its log queries at the deployment block; it keeps the record in the data
  folder (``contract-<chain_id>.json``);
* an auditor's ``sentrace verify-proof``, which must not take the registry address from the
  bundle it checks. For a public or consortium chain the record is published with the project,
  ``contracts/deployments/<chain_id>.json``, written at deployment for the operator to commit.
  Development chains (anvil and hardhat's 31337, ganache's and ``geth --dev``'s 1337,
  eth-tester's) are everybody's and nobody's: an address there means nothing beyond one
  machine, so their record stays in the data folder only, where the verifier reads it when
  given ``--data-dir``.

The record also names the registry's roles as deployed: the ``admin`` (OpenZeppelin's default
admin, who grants and revokes roles, pauses and registers organisations' signing keys: the
pauser and signer admin roles), the ``operator`` (the anchor key, holding the anchoring and
recording roles only: it relays signed recalls and signer changes but cannot recall or register
a key on its own) and ``admin_delay``, the seconds a transfer of the admin role waits. Nobody is
a regulator at deployment; the admin grants ``REGULATOR_ROLE`` to each regulator's own key. On
a development chain admin and operator are the signing key and the delay is zero; elsewhere
``sentrace deploy-registry --admin`` names a separate admin (``deployment_roles``).

A registry replaced by ``sentrace upgrade`` (rules v1 to v2) still holds the anchors and
recalls made on it before, so its successor's record lists it under ``retired`` (oldest
first): a verifier trusts those for the batches anchored there. Records written before that
list existed read as having none.

A registry that vanished from a development chain (its code gone, or the whole chain reset) and
was deployed again at another address is no retired one: it holds nothing to read any more. Yet
the events signed for it are anchored again on its successor, so the successor's record lists it
under ``replaces`` (with whatever the vanished one replaced or retired in its turn): a verifier
accepts a signature made for one of those registries (docs/proof-rules.md section 12.4), and
never reads anchors or recalls there. Records written before that list existed read as having
none.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils import is_address, keccak, to_checksum_address

from backend.chain.artifacts import REPO_ROOT, ContractArtifact

logger = logging.getLogger(__name__)

#: Where records of registries on public and consortium chains are published.
PUBLISHED_DIR = REPO_ROOT / "contracts" / "deployments"
#: Chain ids of local development chains, whose records never leave the data folder.
DEV_CHAIN_IDS = frozenset({31337, 1337, 131277322940537})
#: Seconds a transfer of the admin role waits, off development chains unless told otherwise:
#: long enough to notice a transfer begun with a stolen admin key and cancel it.
DEFAULT_ADMIN_DELAY_S = 2 * 24 * 3600
#: The constructor takes the delay as a uint48.
MAX_ADMIN_DELAY_S = 2**48 - 1


@dataclass(frozen=True)
class BuildFacts:
    """Which build was deployed: enough to tell whether the code on chain is the published one."""

    name: str
    compiler: str
    source_hash: str
    bytecode_hash: str  # keccak256 of the creation bytecode
    deployed_bytecode_hash: str  # keccak256 of the runtime code, as eth_getCode returns it

    @classmethod
    def of(cls, artifact: ContractArtifact) -> BuildFacts:
        return cls(
            name=artifact.name,
            compiler=artifact.compiler_version,
            source_hash=artifact.source_hash,
            bytecode_hash=_code_hash(artifact.bytecode),
            deployed_bytecode_hash=_code_hash(artifact.deployed_bytecode),
        )


@dataclass(frozen=True)
class RetiredRegistry:
    """A registry an upgrade replaced: never written again, but the proof of what was anchored
    and recalled on it, so a verifier keeps trusting it for those."""

    address: ChecksumAddress
    block_number: int  # where it was deployed: log queries start there
    retired_at_block: int | None = None  # where its successor was deployed, when known
    contract: BuildFacts | None = None  # its build, when its own record named one


@dataclass(frozen=True)
class Deployment:
    """A registry deployed on one chain; the later fields are None (or empty) in records
    written before they existed (at first, the runtime's remembered address alone)."""

    chain_id: int
    address: ChecksumAddress
    block_number: int
    tx_hash: str | None = None
    deployer: ChecksumAddress | None = None
    contract: BuildFacts | None = None
    retired: tuple[RetiredRegistry, ...] = ()  # the registries this one replaced, oldest first
    admin: ChecksumAddress | None = None  # default admin, pauser and signer admin at deployment
    operator: ChecksumAddress | None = None  # anchorer and recorder at deployment
    admin_delay: int | None = None  # seconds an admin transfer waits, as deployed
    #: Registries this one stands in for that hold nothing any more (vanished from a
    #: development chain): signature domains only, oldest first.
    replaces: tuple[ChecksumAddress, ...] = ()

    @property
    def replaced(self) -> tuple[ChecksumAddress, ...]:
        """Every registry this one replaced, in the order a verifier tries their signature
        domains: ``retired`` (oldest first), then ``replaces`` (oldest first)."""
        return distinct([*(old.address for old in self.retired), *self.replaces], self.address)


def distinct(addresses: Iterable[str], but: str | None = None) -> tuple[ChecksumAddress, ...]:
    """``addresses`` checksummed, each once, in order, without ``but``."""
    seen: list[ChecksumAddress] = []
    skip = checksummed(but) if but else None
    for address in addresses:
        checksum = checksummed(address)
        if checksum != skip and checksum not in seen:
            seen.append(checksum)
    return tuple(seen)


@lru_cache(maxsize=1024)
def checksummed(address: str) -> ChecksumAddress:
    """``to_checksum_address`` by the exact text (about 40 µs a call, and every verification
    asks for the registries in use): a pure function, so its answers are remembered. What it
    raises (not an address) is not."""
    return to_checksum_address(address)


def successor_replaces(known: Deployment | None, new_address: str) -> tuple[ChecksumAddress, ...]:
    """What the record of a registry deployed in place of the vanished ``known`` one lists
    under ``replaces``: what ``known`` replaced, then ``known`` itself, unless the new one
    landed at the same address (a reset chain replays the same deployment)."""
    if known is None:
        return ()
    return distinct([*known.replaced, known.address], new_address)


@dataclass(frozen=True)
class Roles:
    """Who a new registry makes admin and operator, and the admin transfer delay."""

    admin: ChecksumAddress
    operator: ChecksumAddress
    admin_delay: int


def deployment_roles(
    chain_id: int,
    signer: ChecksumAddress,
    *,
    admin: str | None = None,
    admin_delay: int | None = None,
) -> Roles:
    """The roles a registry deployed by ``signer`` on ``chain_id`` gets.

    The signer (the anchor key) is always the operator (anchoring and recording only). The admin
    (default admin, pauser, signer admin) is ``admin``, else the signer;
    the delay is ``admin_delay``, else 0 on a development chain and two days elsewhere. Off a
    development chain an admin that is the anchor key is allowed (a test network, ``sentrace
    upgrade``) but logged as a warning: whoever steals the server's key could then hand the
    registry to themselves.
    """
    if admin is not None and not is_address(admin):
        raise ValueError(f"not an address: {admin!r}")
    chosen = to_checksum_address(admin) if admin is not None else signer
    delay = admin_delay
    if delay is None:
        delay = 0 if is_dev_chain(chain_id) else DEFAULT_ADMIN_DELAY_S
    if not 0 <= delay <= MAX_ADMIN_DELAY_S:
        raise ValueError(f"admin delay out of range: {delay}")
    if chosen == signer and not is_dev_chain(chain_id):
        logger.warning(
            "registry admin %s is the anchor key on chain %d: give another admin "
            "(sentrace deploy-registry --admin ADDRESS) so the server's key cannot grant roles",
            chosen,
            chain_id,
        )
    return Roles(admin=chosen, operator=signer, admin_delay=delay)


def _code_hash(code: str) -> str:
    return "0x" + keccak(hexstr=code).hex()


def is_dev_chain(chain_id: int) -> bool:
    return chain_id in DEV_CHAIN_IDS


def remember_file(data_dir: Path, chain_id: int) -> Path:
    """Where the registry of ``chain_id`` is remembered inside the data folder."""
    return data_dir / f"contract-{chain_id}.json"


def published_file(chain_id: int, directory: Path | None = None) -> Path:
    """The record published with the project for ``chain_id``."""
    return (directory or PUBLISHED_DIR) / f"{chain_id}.json"


def read_deployment(path: Path, chain_id: int) -> Deployment | None:
    """The recorded deployment, or None when absent, unreadable or for another chain.

    Read again only when the file changes (its inode, size or modification time): the
    consumer page asks on every request, and parsing the record with its checksummed
    addresses cost more than the rest of the page's chain checks."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        logger.warning("ignoring unreadable registry file %s: %s", path, exc)
        return None
    return _read_deployment_as_of(path, stat.st_ino, stat.st_size, stat.st_mtime_ns, chain_id)


@lru_cache(maxsize=64)
def _read_deployment_as_of(
    path: Path, _inode: int, _size: int, _mtime_ns: int, chain_id: int
) -> Deployment | None:
    """:func:`read_deployment` of the file as it was at this inode, size and time."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        remembered = _from_json(raw)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("ignoring unreadable registry file %s: %s", path, exc)
        return None
    if remembered.chain_id != chain_id or not is_address(remembered.address):
        logger.warning("ignoring registry file %s: it is for chain %d", path, remembered.chain_id)
        return None
    return remembered


def _from_json(raw: dict[str, Any]) -> Deployment:
    build = raw.get("contract")
    deployer = raw.get("deployer")
    admin, operator, delay = raw.get("admin"), raw.get("operator"), raw.get("admin_delay")
    return Deployment(
        chain_id=int(raw["chain_id"]),
        address=to_checksum_address(raw["address"]),
        block_number=int(raw.get("block_number", 0)),
        tx_hash=raw.get("tx_hash"),
        deployer=to_checksum_address(deployer) if deployer else None,
        contract=BuildFacts(**build) if isinstance(build, dict) else None,
        retired=tuple(_retired_from_json(item) for item in _listed(raw.get("retired"))),
        admin=to_checksum_address(admin) if admin else None,
        operator=to_checksum_address(operator) if operator else None,
        admin_delay=int(delay) if delay is not None else None,
        replaces=tuple(_address_of(item) for item in _listed(raw.get("replaces"), "replaces")),
    )


def _listed(value: object, name: str = "retired") -> list[Any]:
    """``retired`` (or ``replaces``) as a list (absent: empty); anything else makes the record
    unreadable."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError(f"{name} is not a list: {value!r}")
    return value


def _address_of(raw: Any) -> ChecksumAddress:
    if not isinstance(raw, str) or not is_address(raw):
        raise ValueError(f"replaces lists something that is not an address: {raw!r}")
    return to_checksum_address(raw)


def _retired_from_json(raw: Any) -> RetiredRegistry:
    if not isinstance(raw, dict):
        raise TypeError(f"a retired registry is not an object: {raw!r}")
    build = raw.get("contract")
    retired_at = raw.get("retired_at_block")
    return RetiredRegistry(
        address=to_checksum_address(raw["address"]),
        block_number=int(raw.get("block_number", 0)),
        retired_at_block=int(retired_at) if retired_at is not None else None,
        contract=BuildFacts(**build) if isinstance(build, dict) else None,
    )


def _without_none(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if value is not None}


def write_deployment(path: Path, deployment: Deployment) -> None:
    """Write atomically, so a crash never leaves half a file that would hide the address.
    An empty ``retired`` or ``replaces`` list is left out: the record reads as it did before
    the list existed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    body = _without_none(asdict(deployment))
    del body["retired"], body["replaces"]
    if deployment.replaces:
        body["replaces"] = list(deployment.replaces)
    if deployment.retired:
        body["retired"] = [_without_none(asdict(old)) for old in deployment.retired]
    tmp.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def publish_deployment(deployment: Deployment, directory: Path | None = None) -> Path | None:
    """Write the public record of a registry on a non-development chain; None for a development
    chain, or when the checkout is read-only (logged: the operator publishes it by hand)."""
    if is_dev_chain(deployment.chain_id):
        return None
    path = published_file(deployment.chain_id, directory)
    try:
        write_deployment(path, deployment)
    except OSError as exc:
        logger.warning(
            "could not write the deployment record %s (%s): publish it by hand", path, exc
        )
        return None
    logger.info("deployment record written to %s: commit it so auditors can find it", path)
    return path
