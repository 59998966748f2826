"""The offline verifier's checks: each document against its proof, each root and recall on chain.

For each event the canonical bytes, event hash, lot key and leaf are recomputed from the
document alone with the public hashing rules (``backend.hashing``), the Merkle proof is folded
up to the root in Python, and the registry is asked whether it has that root and whether its
own ``verify`` agrees. Every lot the bundle names is also looked up with ``isRecalled``:
dropping the recall event from a bundle must not make a recalled lot look clean.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_utils import is_address

from backend.hashing import (
    SCHEMA,
    HashingError,
    canonical_bytes,
    from_hex,
    keccak,
    leaf_hash,
    lot_key,
    to_hex,
    verify_proof,
)
from backend.services.verification.offline_report import BundleResult, EventResult, Outcome
from backend.services.verification.offline_rpc import ChainUnreachable, Registry
from backend.services.verification.verdicts import Finding, Verdict

#: Batch states in which a root is legitimately absent from the chain (it can only ever make
#: an event "pending", never "valid", so trusting this label cannot hide a forgery).
NOT_YET_SENT = frozenset({"pending", "sent"})


def check_bundle(
    bundle: dict[str, Any], registry_for: Callable[[str], Registry], *, contract: str | None
) -> BundleResult:
    """Check every event of ``bundle``; ``registry_for(address)`` reaches the chain."""
    chain = bundle.get("chain") or {}
    address = contract or chain.get("contract_address")
    result = BundleResult(
        lot=str(bundle.get("lot")), chain_id=chain.get("chain_id"), contract=address
    )
    registry = _open_registry(result, registry_for, address)
    lot_keys = {
        str(item.get("code")): str(item.get("lot_key", "")).lower()
        for item in bundle.get("lots") or []
        if isinstance(item, dict)
    }
    for entry in bundle["events"]:
        event = _check_offline(entry if isinstance(entry, dict) else {}, lot_keys)
        if event.outcome is Outcome.VALID:
            if registry is None:
                event.outcome = Outcome.UNCHECKED
            else:
                _check_on_chain(event, entry, registry, address or "", result)
        result.events.append(event)
    if registry is not None:
        _check_recalls(bundle, registry, result)
    return result


def _open_registry(
    result: BundleResult, registry_for: Callable[[str], Registry], address: str | None
) -> Registry | None:
    if not address or not is_address(address):
        result.problems.append(
            Finding(Verdict.TAMPERED, "proof_bad_bundle", {"problem": "no contract address"})
        )
        return None
    registry = registry_for(address)
    try:
        found = registry.chain_id()
        if result.chain_id is not None and found != result.chain_id:
            result.problems.append(
                Finding(
                    Verdict.TAMPERED,
                    "proof_chain_id_mismatch",
                    {"found": found, "expected": result.chain_id},
                )
            )
            return None
        if not registry.has_code():
            result.problems.append(
                Finding(Verdict.TAMPERED, "proof_no_contract", {"contract": address})
            )
            return None
    except ChainUnreachable as exc:
        result.notices.append(_unreachable(result, registry, exc))
        return None
    return registry


def _check_offline(entry: dict[str, Any], lot_keys: dict[str, str]) -> EventResult:
    """Everything that needs no chain: document → bytes → hash → leaf → proof → root."""
    event = EventResult(
        id=str(entry.get("id")), lot=str(entry.get("lot")), type=str(entry.get("type"))
    )
    document = entry.get("document")
    if not isinstance(document, dict):
        event.fail("no_document", problem=entry.get("problem") or "document missing")
        return event
    if document.get("schema") != SCHEMA:
        event.fail("schema", expected=SCHEMA, found=document.get("schema"))
        return event
    try:
        raw = canonical_bytes(document)
    except HashingError as exc:
        event.fail("unhashable", problem=exc)
        return event
    given_raw = entry.get("canonical_json")
    if given_raw is not None and given_raw != raw.decode("utf-8"):
        event.fail("canonical_mismatch")
    computed = keccak(raw)
    if str(entry.get("event_hash", "")).lower() != to_hex(computed):
        event.fail("hash_mismatch", given=entry.get("event_hash"), computed=to_hex(computed))
    if document.get("id") != entry.get("id"):
        event.fail("id_mismatch", found=document.get("id"), given=entry.get("id"))
    lot_code = document.get("lot")
    try:
        key = lot_key(str(lot_code))
    except HashingError as exc:
        event.fail("unhashable", problem=exc)
        return event
    given_key = str(entry.get("lot_key", "")).lower()
    if given_key != to_hex(key) or lot_keys.get(str(lot_code), to_hex(key)) != to_hex(key):
        event.fail("lot_mismatch", lot=lot_code)
    if event.outcome is Outcome.FAILED:
        return event
    if not entry.get("root"):
        event.outcome = Outcome.PENDING
        event.findings.append(Finding(Verdict.PENDING, "proof_pending"))
        return event
    _check_path(event, entry, key, computed)
    return event


def _check_path(event: EventResult, entry: dict[str, Any], key: bytes, computed: bytes) -> None:
    leaf = leaf_hash(key, computed)
    try:
        given_leaf = from_hex(str(entry.get("leaf")))
        proof = [from_hex(str(node)) for node in entry.get("proof") or []]
        root = from_hex(str(entry.get("root")))
    except HashingError as exc:
        event.fail("malformed", problem=exc)
        return
    if given_leaf != leaf:
        event.fail("leaf_mismatch")
    if not verify_proof(proof, root, leaf):
        event.fail("path_fails", root=entry.get("root"))


def _check_on_chain(
    event: EventResult,
    entry: dict[str, Any],
    registry: Registry,
    address: str,
    result: BundleResult,
) -> None:
    root = from_hex(str(entry["root"]))
    proof = [from_hex(str(node)) for node in entry.get("proof") or []]
    try:
        if not registry.is_anchored(root):
            if entry.get("batch_status") in NOT_YET_SENT:  # built, not on chain yet: not a lie
                event.outcome = Outcome.PENDING
                event.findings.append(Finding(Verdict.PENDING, "proof_pending"))
                return
            event.fail("root_absent", root=entry["root"], contract=address)
            return
        if not registry.verify(
            proof, root, from_hex(str(entry["lot_key"])), from_hex(str(entry["event_hash"]))
        ):
            event.fail("chain_verify_fails")
            return
    except ChainUnreachable as exc:
        event.outcome = Outcome.UNCHECKED
        event.findings.append(_unreachable(result, registry, exc))
        return
    event.findings.append(Finding(Verdict.VERIFIED, "proof_ok"))


def _shown_recalls(bundle: dict[str, Any]) -> set[str]:
    """Lots the bundle shows as recalled: flagged in ``lots`` and with a recall event listed."""
    flagged = {
        str(item.get("code"))
        for item in bundle.get("lots") or []
        if isinstance(item, dict) and item.get("recalled") is True
    }
    with_event = {
        str(entry.get("lot"))
        for entry in bundle["events"]
        if isinstance(entry, dict) and entry.get("type") == "recall"
    }
    return flagged & with_event


def _bundle_lots(bundle: dict[str, Any]) -> list[str]:
    """Every lot code the bundle names (its lot, its lineage, its events), first seen first."""
    found = [bundle.get("lot")]
    found += [item.get("code") for item in bundle.get("lots") or [] if isinstance(item, dict)]
    found += [entry.get("lot") for entry in bundle["events"] if isinstance(entry, dict)]
    return list(dict.fromkeys(str(code) for code in found if code is not None))


def _check_recalls(bundle: dict[str, Any], registry: Registry, result: BundleResult) -> None:
    """Ask the chain about every lot; a recall there that the bundle hides is a forgery.

    The key is recomputed from the lot code, never taken from the bundle, so a forger cannot
    point the question at a lot that was never recalled.
    """
    shown = _shown_recalls(bundle)
    for code in _bundle_lots(bundle):
        try:
            key = lot_key(code)
        except HashingError:
            continue  # not a lot code; events naming it already fail on their own
        try:
            recalled = registry.is_recalled(key)
        except ChainUnreachable as exc:
            result.notices.append(_unreachable(result, registry, exc))
            return
        if recalled and code not in shown:
            result.problems.append(Finding(Verdict.TAMPERED, "proof_recall_hidden", {"lot": code}))


def _unreachable(result: BundleResult, registry: Registry, exc: ChainUnreachable) -> Finding:
    """Note on ``result`` that the chain stopped answering, and the finding that says so.

    An unanswered question never fails the check: it leaves it incomplete (exit 2).
    """
    result.chain_reachable = False
    return Finding(
        Verdict.PENDING,
        "proof_chain_unreachable",
        {"rpc": getattr(registry, "rpc_url", "?"), "problem": _short(exc)},
    )


def _short(exc: Exception, limit: int = 160) -> str:
    text = str(exc)
    return text if len(text) <= limit else text[: limit - 1] + "…"
