"""Which registry the offline verifier trusts: never the one the bundle names.

A bundle is made by the server being audited; were its ``contract_address`` believed, a forger
could deploy a registry of their own, anchor forged roots there and name it. So the address
comes from the auditor: ``--contract ADDRESS``, or the deployment record the project publishes
for the chain (``contracts/deployments/<chain-id>.json``). A development chain's record lives
in the data folder of the installation that deployed it, read only when ``--data-dir`` is
given (rules in :mod:`backend.chain.deployment`). A record also names the build, so the code
at the address can be compared with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from eth_utils import is_address, to_checksum_address

from backend.chain.deployment import (
    Deployment,
    is_dev_chain,
    published_file,
    read_deployment,
    remember_file,
)
from backend.hashing import HashingError, from_hex


@dataclass(frozen=True)
class TrustedRegistry:
    """The registry to check against, where its address came from, and what code it runs."""

    address: str
    source: str  # "--contract" or the record's path
    code_hash: bytes | None = None  # keccak256 of the published runtime code, when known
    from_block: int = 0  # log queries start here


def trusted_registry(
    chain_id: int | None,
    *,
    contract: str | None,
    data_dir: Path | None,
    published_dir: Path | None = None,
) -> TrustedRegistry | None:
    """``--contract`` if given; else the record for ``chain_id``: the published one for a
    public chain (or the data folder's, when none is published), the data folder's for a
    development chain. None when there is none: the caller asks for ``--contract``."""
    if contract:
        return TrustedRegistry(address=contract, source="--contract")
    if chain_id is None:
        return None
    candidates: list[Path] = []
    if not is_dev_chain(chain_id):
        candidates.append(published_file(chain_id, published_dir))
    if data_dir is not None:
        candidates.append(remember_file(data_dir, chain_id))
    for path in candidates:
        record = read_deployment(path, chain_id)
        if record is not None:
            return _from_record(record, path)
    return None


def _from_record(record: Deployment, path: Path) -> TrustedRegistry:
    code_hash: bytes | None = None
    if record.contract is not None:
        try:
            code_hash = from_hex(record.contract.deployed_bytecode_hash)
        except HashingError:
            code_hash = None
    return TrustedRegistry(
        address=record.address,
        source=str(path),
        code_hash=code_hash,
        from_block=record.block_number,
    )


def same_address(a: object, b: object) -> bool:
    """Whether two address texts name the same account (case does not matter)."""
    if not (isinstance(a, str) and isinstance(b, str) and is_address(a) and is_address(b)):
        return False
    return bool(to_checksum_address(a) == to_checksum_address(b))
