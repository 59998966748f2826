"""The offline verifier's checks: each document against its proof, each root and recall on chain.

The registry asked is the one the auditor trusts (``offline_trust``), with the registries it
replaced: a root is looked for on the registry in use, then on each retired one (a bundle names
only the registry in use, not the one each batch was anchored on), and a recall on any of them
counts. A bundle naming a registry that is none of these fails.

For each event the canonical bytes, event hash, lot key and leaf are recomputed with the
public hashing rules (``backend.hashing``): under rules v1 from the document, under rules v2
from the stored bytes the bundle carries (``offline_documents``). The Merkle proof is folded up
to the root in Python, and the registry is asked whether it has that root and whether its own
``verify`` agrees. A rules v2 event must also carry a signature by a key the registry records
for its organisation at the anchoring time (``offline_signatures``). Every lot the bundle names
is also looked up with ``isRecalled``: dropping the recall event from a bundle must not make a
recalled lot look clean. A rules v2 bundle is
then checked for completeness, lot by lot (``offline_heads``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_utils import is_address

from backend.hashing import (
    SCHEMA,
    SCHEMA_V2,
    HashingError,
    from_hex,
    keccak,
    leaf_hash,
    lot_key,
    to_hex,
    verify_proof,
)
from backend.services.verification.offline_documents import (
    BUNDLE_FORMAT_V2,
    document_bytes_v1,
    document_bytes_v2,
    lot_rules,
)
from backend.services.verification.offline_heads import check_completeness
from backend.services.verification.offline_report import (
    BundleResult,
    EventResult,
    Outcome,
    unreachable,
)
from backend.services.verification.offline_rpc import ChainUnreachable, Registry
from backend.services.verification.offline_signatures import check_signer, has_signature
from backend.services.verification.offline_trust import TrustedRegistry, same_address
from backend.services.verification.verdicts import Finding, Verdict

#: Batch states in which a root is legitimately absent from the chain (it can only ever make
#: an event "pending", never "valid", so trusting this label cannot hide a forgery).
NOT_YET_SENT = frozenset({"pending", "sent"})


def check_bundle(
    bundle: dict[str, Any],
    registry_for: Callable[[str], Registry],
    *,
    contract: str | TrustedRegistry | None,
) -> BundleResult:
    """Check every event of ``bundle`` against the trusted registry ``contract`` (an address,
    or one resolved with its published build); ``registry_for(address)`` reaches the chain.
    Without a trusted registry nothing is asked of the chain and the check stays incomplete."""
    trusted = TrustedRegistry(contract, "") if isinstance(contract, str) else contract
    chain = bundle.get("chain") or {}
    v2 = bundle.get("format") == BUNDLE_FORMAT_V2
    result = BundleResult(
        lot=str(bundle.get("lot")),
        chain_id=chain.get("chain_id"),
        contract=trusted.address if trusted else chain.get("contract_address"),
        rules=SCHEMA_V2 if v2 else SCHEMA,
        trusted_from=trusted.source if trusted else None,
        retired=[old.address for old in trusted.retired] if trusted else [],
        replaced=trusted.replaced if trusted else [],
    )
    registries = _open_registries(result, registry_for, trusted, chain.get("contract_address"))
    registry = registries[0][1] if registries else None
    lot_keys = {
        str(item.get("code")): str(item.get("lot_key", "")).lower()
        for item in bundle.get("lots") or []
        if isinstance(item, dict)
    }
    rules = lot_rules(bundle) if v2 else {}
    for entry in bundle["events"]:
        entry = entry if isinstance(entry, dict) else {}
        event = _check_offline(
            entry, lot_keys, rules.get(str(entry.get("lot")), SCHEMA_V2) if v2 else SCHEMA
        )
        if event.outcome is Outcome.VALID:
            if not registries:
                event.outcome = Outcome.UNCHECKED
            else:
                _check_on_chain(event, entry, registries, result)
        elif event.outcome is Outcome.PENDING and event.document is not None and registries:
            _check_signer(event, entry, registries[0], result, anchored_at=None)
        result.events.append(event)
    if registries:
        _check_recalls(bundle, registries, result)
    if v2:
        check_completeness(bundle, result, registry, rules, trusted.from_block if trusted else 0)
    return result


#: The registries open for a check: (address, reader), the one in use first, then the retired.
Registries = list[tuple[str, Registry]]


def _open_registries(
    result: BundleResult,
    registry_for: Callable[[str], Registry],
    trusted: TrustedRegistry | None,
    named: object,
) -> Registries:
    """The trusted registries, each checked (an address, code there, the published build);
    empty when the one in use cannot be asked. A retired one that fails a check is left out,
    the failure recorded: roots anchored only there then fail too."""
    if trusted is None:
        result.notices.append(
            Finding(Verdict.PENDING, "proof_no_trusted_contract", {"chain": result.chain_id})
        )
        return []
    addresses = trusted.addresses
    if not all(is_address(address) for address in addresses):
        bad = next(address for address in addresses if not is_address(address))
        result.problems.append(
            Finding(Verdict.TAMPERED, "proof_bad_bundle", {"problem": f"not an address: {bad}"})
        )
        return []
    if not any(same_address(named, address) for address in addresses):
        result.problems.append(
            Finding(
                Verdict.TAMPERED,
                "proof_contract_mismatch",
                {"named": named, "trusted": ", ".join(addresses)},
            )
        )
    registry = registry_for(trusted.address)
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
            return []
        if not _holds_build(result, registry, trusted):
            return []
        opened = [(trusted.address, registry)]
        for old in trusted.retired:
            reader = registry_for(old.address)
            if _holds_build(result, reader, old):
                opened.append((old.address, reader))
    except ChainUnreachable as exc:
        result.notices.append(unreachable(result, registry, exc))
        return []
    return opened


def _holds_build(result: BundleResult, registry: Registry, trusted: TrustedRegistry) -> bool:
    """Whether the trusted address holds code (else nothing can be checked there), noting a
    build other than the published one as a problem."""
    if not registry.has_code():
        result.problems.append(
            Finding(Verdict.TAMPERED, "proof_no_contract", {"contract": trusted.address})
        )
        return False
    if trusted.code_hash is not None and registry.code_hash() != trusted.code_hash:
        result.problems.append(
            Finding(
                Verdict.TAMPERED,
                "proof_code_mismatch",
                {"contract": trusted.address, "source": trusted.source},
            )
        )
    return True


def _check_offline(entry: dict[str, Any], lot_keys: dict[str, str], rules: str) -> EventResult:
    """Everything that needs no chain: bytes → hash → leaf → proof → root, the bytes rebuilt
    from the document under rules v1 and taken as stored under rules v2."""
    event = EventResult(
        id=str(entry.get("id")), lot=str(entry.get("lot")), type=str(entry.get("type"))
    )
    read = (
        document_bytes_v2(entry, event) if rules == SCHEMA_V2 else document_bytes_v1(entry, event)
    )
    if read is None:
        return event
    raw, document = read
    computed = event.digest = keccak(raw)
    if rules == SCHEMA_V2:
        event.document = document
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
    if rules == SCHEMA_V2:
        has_signature(entry, event)
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
    event: EventResult, entry: dict[str, Any], registries: Registries, result: BundleResult
) -> None:
    """The event's root on the registry in use or, failing that, on a retired one; and that
    registry's own ``verify`` of its proof."""
    root = from_hex(str(entry["root"]))
    proof = [from_hex(str(node)) for node in entry.get("proof") or []]
    registry = registries[0][1]
    try:
        holder, anchored_at, address = None, 0, registries[0][0]
        for candidate, registry in registries:
            anchored_at = registry.anchor_timestamp(root)
            if anchored_at != 0:
                holder, address = registry, candidate
                break
        if holder is None:
            if entry.get("batch_status") in NOT_YET_SENT:  # built, not on chain yet: not a lie
                event.outcome = Outcome.PENDING
                event.findings.append(Finding(Verdict.PENDING, "proof_pending"))
                if event.document is not None:
                    _check_signer(event, entry, registries[0], result, anchored_at=None)
                return
            addresses = ", ".join(address for address, _ in registries)
            event.fail("root_absent", root=entry["root"], contract=addresses)
            return
        if not holder.verify(
            proof, root, from_hex(str(entry["lot_key"])), from_hex(str(entry["event_hash"]))
        ):
            event.fail("chain_verify_fails")
            return
        if event.document is not None:  # rules v2: signed by a key of its organisation then
            chain_id = result.chain_id if result.chain_id is not None else holder.chain_id()
            signed = check_signer(
                event,
                entry,
                holder,
                address=address,
                chain_id=chain_id,
                anchored_at=anchored_at,
                replaced=result.replaced,
            )
            if not signed:
                return
    except ChainUnreachable as exc:
        event.outcome = Outcome.UNCHECKED
        event.findings.append(unreachable(result, registry, exc))
        return
    event.findings.append(Finding(Verdict.VERIFIED, "proof_ok"))


def _check_signer(
    event: EventResult,
    entry: dict[str, Any],
    registry: tuple[str, Registry],
    result: BundleResult,
    *,
    anchored_at: int | None,
) -> None:
    """A not yet anchored v2 event's signer, judged on the registry in use against now."""
    address, reader = registry
    try:
        chain_id = result.chain_id if result.chain_id is not None else reader.chain_id()
        check_signer(
            event,
            entry,
            reader,
            address=address,
            chain_id=chain_id,
            anchored_at=anchored_at,
            replaced=result.replaced,
        )
    except ChainUnreachable as exc:
        event.findings.append(unreachable(result, reader, exc))


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


def _check_recalls(bundle: dict[str, Any], registries: Registries, result: BundleResult) -> None:
    """Ask the chain about every lot, on every trusted registry (a recall recorded before an
    upgrade stays on the retired one); a recall there that the bundle hides is a forgery.

    The key is recomputed from the lot code, never taken from the bundle, so a forger cannot
    point the question at a lot that was never recalled.
    """
    shown = _shown_recalls(bundle)
    for code in _bundle_lots(bundle):
        try:
            key = lot_key(code)
        except HashingError:
            continue  # not a lot code; events naming it already fail on their own
        registry = registries[0][1]
        try:
            recalled = False
            for _, registry in registries:
                if registry.is_recalled(key):
                    recalled = True
                    break
        except ChainUnreachable as exc:
            result.notices.append(unreachable(result, registry, exc))
            return
        if recalled and code not in shown:
            result.problems.append(Finding(Verdict.TAMPERED, "proof_recall_hidden", {"lot": code}))
