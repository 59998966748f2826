"""Check a proof bundle against a chain node, trusting nothing but the bundle and the chain.

This is what an auditor runs (``sentrace verify-proof FILE --rpc URL --contract ADDRESS``).
The registry is the one the auditor trusts, never the one the bundle names: ``--contract``, or
the deployment record published for the bundle's chain (``offline_trust``), together with the
registries that record lists as retired by an upgrade, where older batches stay anchored.
For each event the canonical bytes, event hash, lot key and leaf are recomputed with the
public hashing rules (``backend.hashing``), the Merkle proof is folded up to the root in
Python, and the node is asked, over plain JSON-RPC, whether the registry has that root
(``anchorOf``) and whether its own ``verify(proof, root, lotKey, eventHash)`` agrees. Every
lot the bundle names is also looked up with ``isRecalled(lotKey)``: dropping the recall event
from a bundle must not make a recalled lot look clean, so a recall on chain that the bundle
does not show fails. A rules v2 bundle is also proven complete against the current registry's
heads root (``offline_heads``, ``offline_ancestry``). Nothing from the SenTrace server or its
database is used.

This module reads the file and runs the rest: the checks (``offline_checks``), the questions to
the node (``offline_rpc``), the outcome with its exit code and the report (``offline_report``).
Exit codes: 0 everything holds; 1 something does not hold or the file is not a bundle; 2
nothing failed but the check is incomplete (events not anchored yet, the node unreachable, no
trusted registry address, or the bundle older than the chain's heads root).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from backend.json_depth import loads_bounded
from backend.services.verification.offline_checks import check_bundle
from backend.services.verification.offline_report import BundleResult, EventResult, Outcome, render
from backend.services.verification.offline_rpc import (
    REGISTRY_ABI,
    ChainUnreachable,
    Registry,
    RpcRegistry,
)
from backend.services.verification.offline_trust import TrustedRegistry, trusted_registry
from backend.services.verification.proof_bundle import BUNDLE_FORMAT, BUNDLE_FORMAT_V2
from backend.services.verification.verdicts import Finding, Verdict

__all__ = [
    "REGISTRY_ABI",
    "BundleError",
    "BundleResult",
    "ChainUnreachable",
    "EventResult",
    "Outcome",
    "Registry",
    "RpcRegistry",
    "TrustedRegistry",
    "check_bundle",
    "load_bundle",
    "render",
    "run",
    "trusted_registry",
]


class BundleError(ValueError):
    """The file is not a proof bundle this checker understands."""


def load_bundle(path: Path) -> dict[str, Any]:
    try:
        bundle = loads_bounded(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BundleError(str(exc)) from exc
    if not isinstance(bundle, dict) or bundle.get("format") not in (
        BUNDLE_FORMAT,
        BUNDLE_FORMAT_V2,
    ):
        raise BundleError(f"expected format {BUNDLE_FORMAT!r} or {BUNDLE_FORMAT_V2!r}")
    if not isinstance(bundle.get("events"), list):
        raise BundleError("no list of events")
    return bundle


def run(
    path: Path,
    *,
    rpc: str,
    contract: str | Sequence[str] | None = None,
    data_dir: Path | None = None,
) -> tuple[int, str]:
    """Load, check and render; returns the exit code and the report text.

    The registry is ``contract`` (several: the one in use first, then retired ones), else the
    deployment record for the bundle's chain (published in contracts/deployments/, or in
    ``data_dir`` for a development chain) with the retired registries it lists; without either
    nothing is checked (exit 2) and the auditor is told to pass ``--contract``.
    """
    try:
        bundle = load_bundle(path)
    except BundleError as exc:
        return 1, _both(Finding(Verdict.TAMPERED, "proof_bad_bundle", {"problem": exc}))
    chain_id = (bundle.get("chain") or {}).get("chain_id")
    trusted = trusted_registry(
        chain_id if isinstance(chain_id, int) else None, contract=contract, data_dir=data_dir
    )
    if trusted is None:
        return 2, _both(Finding(Verdict.PENDING, "proof_no_trusted_contract", {"chain": chain_id}))
    result = check_bundle(bundle, lambda address: RpcRegistry(rpc, address), contract=trusted)
    return result.exit_code, render(result, rpc=rpc)


def _both(finding: Finding) -> str:
    return f"{finding.text('vi')}\n{finding.text('en')}"
