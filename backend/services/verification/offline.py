"""Check a proof bundle against a chain node, trusting nothing but the bundle and the chain.

This is what an auditor runs (``sentrace verify-proof FILE --rpc URL``). For each event the
canonical bytes, event hash, lot key and leaf are recomputed from the document alone with the
public hashing rules (``backend.hashing``), the Merkle proof is folded up to the root in Python,
and the node is asked, over plain JSON-RPC, whether the registry has that root (``anchorOf``)
and whether its own ``verify(proof, root, lotKey, eventHash)`` agrees. Every lot the bundle
names is also looked up with ``isRecalled(lotKey)``: dropping the recall event from a bundle must
not make a recalled lot look clean, so a recall on chain that the bundle does not show fails.
Nothing from the SenTrace server or its database is used.

Exit codes: 0 every event holds; 1 something does not hold (edited document, proof or root, a
root missing on chain, the wrong chain) or the file is not a bundle; 2 nothing failed but some
events are not anchored yet or the node could not be reached.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from eth_utils import is_address, to_checksum_address
from web3 import HTTPProvider, Web3

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
from backend.services.verification.proof_bundle import BUNDLE_FORMAT
from backend.services.verification.verdicts import Finding, Verdict

#: The three registry functions an outside verifier needs, and nothing else.
REGISTRY_ABI: list[dict[str, Any]] = [
    {
        "type": "function",
        "name": "anchorOf",
        "stateMutability": "view",
        "inputs": [{"name": "root", "type": "bytes32"}],
        "outputs": [
            {"name": "timestamp", "type": "uint64"},
            {"name": "eventCount", "type": "uint32"},
            {"name": "anchorer", "type": "address"},
        ],
    },
    {
        "type": "function",
        "name": "verify",
        "stateMutability": "view",
        "inputs": [
            {"name": "proof", "type": "bytes32[]"},
            {"name": "root", "type": "bytes32"},
            {"name": "lotKey", "type": "bytes32"},
            {"name": "eventHash", "type": "bytes32"},
        ],
        "outputs": [{"name": "", "type": "bool"}],
    },
    {
        "type": "function",
        "name": "isRecalled",
        "stateMutability": "view",
        "inputs": [{"name": "lotKey", "type": "bytes32"}],
        "outputs": [{"name": "", "type": "bool"}],
    },
]

RPC_TIMEOUT_S = 10.0
#: Batch states in which a root is legitimately absent from the chain (it can only ever make
#: an event "pending", never "valid", so trusting this label cannot hide a forgery).
NOT_YET_SENT = frozenset({"pending", "sent"})


class Outcome(StrEnum):
    VALID = "valid"
    PENDING = "pending"  # not anchored yet
    UNCHECKED = "unchecked"  # holds offline, but the chain could not be asked
    FAILED = "failed"


class ChainUnreachable(Exception):
    """The node did not answer; the message says why."""


class Registry(Protocol):
    """What the checker asks of the chain (a JSON-RPC node in practice)."""

    def chain_id(self) -> int: ...
    def has_code(self) -> bool: ...
    def is_anchored(self, root: bytes) -> bool: ...
    def verify(self, proof: Sequence[bytes], root: bytes, lot_key: bytes, event: bytes) -> bool: ...
    def is_recalled(self, lot_key: bytes) -> bool: ...


class RpcRegistry:
    """The registry at ``address`` on the node at ``rpc_url``, read with ``eth_call`` only."""

    def __init__(self, rpc_url: str, address: str, *, timeout: float = RPC_TIMEOUT_S) -> None:
        self.rpc_url = rpc_url
        self.address = to_checksum_address(address)
        provider = HTTPProvider(
            rpc_url, request_kwargs={"timeout": timeout}, exception_retry_configuration=None
        )
        self._w3 = Web3(provider)
        self._contract = self._w3.eth.contract(address=self.address, abi=REGISTRY_ABI)

    def _call(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except (OSError, ValueError) as exc:  # requests' errors are OSErrors; RPC errors Values
            raise ChainUnreachable(str(exc)) from exc

    def chain_id(self) -> int:
        return int(self._call(lambda: self._w3.eth.chain_id))

    def has_code(self) -> bool:
        return len(self._call(lambda: self._w3.eth.get_code(self.address))) > 0

    def is_anchored(self, root: bytes) -> bool:
        timestamp, _count, _anchorer = self._call(
            lambda: self._contract.functions.anchorOf(root).call()
        )
        return int(timestamp) != 0

    def verify(self, proof: Sequence[bytes], root: bytes, lot_key: bytes, event: bytes) -> bool:
        return bool(
            self._call(
                lambda: self._contract.functions.verify(list(proof), root, lot_key, event).call()
            )
        )

    def is_recalled(self, lot_key: bytes) -> bool:
        return bool(self._call(lambda: self._contract.functions.isRecalled(lot_key).call()))


@dataclass
class EventResult:
    """The outcome for one event and every reason it did not hold."""

    id: str
    lot: str
    type: str
    outcome: Outcome = Outcome.VALID
    findings: list[Finding] = field(default_factory=list)

    def fail(self, code: str, **params: Any) -> None:
        self.outcome = Outcome.FAILED
        self.findings.append(Finding(Verdict.TAMPERED, f"proof_{code}", params))


@dataclass
class BundleResult:
    """The outcome for the whole bundle."""

    lot: str
    chain_id: int | None
    contract: str | None
    events: list[EventResult] = field(default_factory=list)
    problems: list[Finding] = field(default_factory=list)  # make the whole check fail
    notices: list[Finding] = field(default_factory=list)  # leave it incomplete (exit 2)
    chain_reachable: bool = True

    def count(self, outcome: Outcome) -> int:
        return sum(1 for e in self.events if e.outcome is outcome)

    @property
    def exit_code(self) -> int:
        if self.problems or self.count(Outcome.FAILED):
            return 1
        incomplete = self.count(Outcome.PENDING) + self.count(Outcome.UNCHECKED)
        if incomplete or not self.chain_reachable or not self.events:
            return 2
        return 0


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


# ------------------------------------------------------------------------------ checking


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
        result.chain_reachable = False
        rpc = getattr(registry, "rpc_url", "?")
        result.notices.append(
            Finding(
                Verdict.PENDING, "proof_chain_unreachable", {"rpc": rpc, "problem": _short(exc)}
            )
        )
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
        result.chain_reachable = False
        event.outcome = Outcome.UNCHECKED
        event.findings.append(
            Finding(
                Verdict.PENDING,
                "proof_chain_unreachable",
                {"rpc": getattr(registry, "rpc_url", "?"), "problem": _short(exc)},
            )
        )
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
            result.chain_reachable = False
            result.notices.append(
                Finding(
                    Verdict.PENDING,
                    "proof_chain_unreachable",
                    {"rpc": getattr(registry, "rpc_url", "?"), "problem": _short(exc)},
                )
            )
            return
        if recalled and code not in shown:
            result.problems.append(Finding(Verdict.TAMPERED, "proof_recall_hidden", {"lot": code}))


# ------------------------------------------------------------------------------- report

OUTCOME_LABEL = {
    Outcome.VALID: "HỢP LỆ / VALID",
    Outcome.PENDING: "CHƯA NEO / PENDING",
    Outcome.UNCHECKED: "CHƯA KIỂM TRÊN CHUỖI / NOT CHECKED ON CHAIN",
    Outcome.FAILED: "SAI / FAILED",
}


def _short(exc: Exception, limit: int = 160) -> str:
    text = str(exc)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render(result: BundleResult, *, rpc: str) -> str:
    """A plain-text report: one row per event, reasons in Vietnamese then English below it."""
    lines = [
        f"Kiểm tra gói bằng chứng / Proof bundle check — lô / lot {result.lot}",
        f"Chuỗi / chain {result.chain_id} · hợp đồng / contract {result.contract} · RPC {rpc}",
        "",
    ]
    for problem in result.problems:  # each makes the whole check fail
        failed = OUTCOME_LABEL[Outcome.FAILED]
        lines += [f"!! {failed}: {problem.text('vi')}", f"   {problem.text('en')}"]
    for notice in result.notices:
        lines += [f"!! {notice.text('vi')}", f"   {notice.text('en')}"]
    if result.problems or result.notices:
        lines.append("")
    header = (
        f"{'#':>3}  {'Sự kiện / Event':<36}  {'Lô / Lot':<16}  {'Loại / Type':<18}  "
        "Kết quả / Result"
    )
    lines += [header, "-" * len(header)]
    for number, event in enumerate(result.events, start=1):
        lines.append(
            f"{number:>3}  {event.id:<36}  {event.lot:<16}  {event.type:<18}  "
            f"{OUTCOME_LABEL[event.outcome]}"
        )
        if event.outcome not in (Outcome.VALID, Outcome.UNCHECKED):
            for finding in event.findings:
                lines += [f"       - {finding.text('vi')}", f"         {finding.text('en')}"]
    lines += [
        "",
        f"Tổng / Total: {result.count(Outcome.VALID)} hợp lệ / valid, "
        f"{result.count(Outcome.FAILED)} sai / failed, "
        f"{result.count(Outcome.PENDING)} chưa neo / pending, "
        f"{result.count(Outcome.UNCHECKED)} chưa kiểm trên chuỗi / not checked on chain",
    ]
    return "\n".join(lines)


def run(path: Path, *, rpc: str, contract: str | None = None) -> tuple[int, str]:
    """Load, check and render; returns the exit code and the report text."""
    try:
        bundle = load_bundle(path)
    except BundleError as exc:
        finding = Finding(Verdict.TAMPERED, "proof_bad_bundle", {"problem": exc})
        return 1, f"{finding.text('vi')}\n{finding.text('en')}"
    result = check_bundle(bundle, lambda address: RpcRegistry(rpc, address), contract=contract)
    return result.exit_code, render(result, rpc=rpc)
