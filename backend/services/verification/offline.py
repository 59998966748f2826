"""Check a proof bundle against a chain node, trusting nothing but the bundle and the chain.

This is what an auditor runs (``sentrace verify-proof FILE --rpc URL``). For each event the
canonical bytes, event hash, lot key and leaf are recomputed from the document alone with the
public hashing rules (``backend.hashing``), the Merkle proof is folded up to the root in Python,
and the node is asked, over plain JSON-RPC, whether the registry has that root (``anchorOf``)
and whether its own ``verify(proof, root, lotKey, eventHash)`` agrees. Every lot the bundle
names is also looked up with ``isRecalled(lotKey)``: dropping the recall event from a bundle must
not make a recalled lot look clean, so a recall on chain that the bundle does not show fails.
Nothing from the SenTrace server or its database is used.

This module reads the file and runs the rest: the checks (``offline_checks``), the questions to
the node (``offline_rpc``), the outcome with its exit code and the report (``offline_report``).
Exit codes: 0 every event holds; 1 something does not hold or the file is not a bundle; 2
nothing failed but some events are not anchored yet or the node could not be reached.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from backend.services.verification.offline_checks import check_bundle
from backend.services.verification.offline_report import BundleResult, EventResult, Outcome, render
from backend.services.verification.offline_rpc import (
    REGISTRY_ABI,
    ChainUnreachable,
    Registry,
    RpcRegistry,
)
from backend.services.verification.proof_bundle import BUNDLE_FORMAT
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
    "check_bundle",
    "load_bundle",
    "render",
    "run",
]


class BundleError(ValueError):
    """The file is not a proof bundle this checker understands."""


def load_bundle(path: Path) -> dict[str, Any]:
    try:
        bundle = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(str(exc)) from exc
    if not isinstance(bundle, dict) or bundle.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"expected format {BUNDLE_FORMAT!r}")
    if not isinstance(bundle.get("events"), list):
        raise BundleError("no list of events")
    return bundle


def run(path: Path, *, rpc: str, contract: str | None = None) -> tuple[int, str]:
    """Load, check and render; returns the exit code and the report text."""
    try:
        bundle = load_bundle(path)
    except BundleError as exc:
        finding = Finding(Verdict.TAMPERED, "proof_bad_bundle", {"problem": exc})
        return 1, f"{finding.text('vi')}\n{finding.text('en')}"
    result = check_bundle(bundle, lambda address: RpcRegistry(rpc, address), contract=contract)
    return result.exit_code, render(result, rpc=rpc)
