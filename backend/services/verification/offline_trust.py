"""Which registry the offline verifier trusts: never the one the bundle names.

A bundle is made by the server being audited; were its ``contract_address`` believed, a forger
could deploy a registry of their own, anchor forged roots there and name it. So the address
comes from the auditor: ``--contract ADDRESS``, or the deployment record the project publishes
for the chain (``contracts/deployments/<chain-id>.json``). A development chain's record lives
in the data folder of the installation that deployed it, read only when ``--data-dir`` is
given (rules in :mod:`backend.chain.deployment`). A record also names the build, so the code
at the address can be compared with it.

An upgraded installation anchored its older batches on registries it has since retired
(``sentrace upgrade``); the record lists them, and they are trusted beside the current one for
the anchors and recalls they hold (the current one alone for the heads root). Given by hand,
the first ``--contract`` is the registry in use and each further one an earlier, retired one.
A development chain's record may also list registries that vanished and were deployed again
elsewhere (``replaces``): nothing is read there, but an event's signature may name one of them,
as it may name a retired one (docs/proof-rules.md section 12.4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eth_utils import is_address, to_checksum_address

from backend.chain.deployment import (
    BuildFacts,
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
    #: Registries this one replaced, oldest first: trusted for the anchors and recalls on them.
    retired: tuple[TrustedRegistry, ...] = ()
    #: Registries this one replaced that hold nothing any more: signature domains only.
    replaces: tuple[str, ...] = ()

    @property
    def addresses(self) -> list[str]:
        """Every address trusted: the registry in use first, then the retired ones."""
        return [self.address, *(old.address for old in self.retired)]

    @property
    def replaced(self) -> list[str]:
        """The registries this one replaced, in the order their signature domains are tried:
        the retired ones, then those it ``replaces``."""
        return [*(old.address for old in self.retired), *self.replaces]


def trusted_registry(
    chain_id: int | None,
    *,
    contract: str | Sequence[str] | None,
    data_dir: Path | None,
    published_dir: Path | None = None,
) -> TrustedRegistry | None:
    """``--contract`` if given (the first the registry in use, any further ones retired); else
    the record for ``chain_id``: the published one for a public chain (or the data folder's,
    when none is published), the data folder's for a development chain, with the retired
    registries it lists. None when there is none: the caller asks for ``--contract``."""
    given = [contract] if isinstance(contract, str) else [a for a in contract or () if a]
    if given and given[0]:
        first, *earlier = given
        retired = tuple(TrustedRegistry(address=a, source="--contract") for a in earlier)
        return TrustedRegistry(address=first, source="--contract", retired=retired)
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
    retired = tuple(
        TrustedRegistry(
            address=old.address,
            source=str(path),
            code_hash=_code_hash(old.contract),
            from_block=old.block_number,
        )
        for old in record.retired
    )
    return TrustedRegistry(
        address=record.address,
        source=str(path),
        code_hash=_code_hash(record.contract),
        from_block=record.block_number,
        retired=retired,
        replaces=tuple(record.replaces),
    )


def _code_hash(build: BuildFacts | None) -> bytes | None:
    """The runtime code hash a record names, or None when it names none (or a malformed one)."""
    if build is None:
        return None
    try:
        return from_hex(build.deployed_bytecode_hash)
    except HashingError:
        return None


def same_address(a: object, b: object) -> bool:
    """Whether two address texts name the same account (case does not matter)."""
    if not (isinstance(a, str) and isinstance(b, str) and is_address(a) and is_address(b)):
        return False
    return bool(to_checksum_address(a) == to_checksum_address(b))
