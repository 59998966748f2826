"""What the offline verifier found, its exit code, and the plain-text report it prints.

Exit codes: 0 every event holds (and, under rules v2, every lot is proven complete); 1 something
does not hold (edited document, proof or root, a root missing on chain, the wrong chain or
registry, an event missing, added or out of order) or the file is not a bundle; 2 nothing failed
but the check is incomplete: events not anchored yet, the node unreachable, no trusted registry
address, or a bundle older than the chain's heads root (download it again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from backend.hashing import SCHEMA
from backend.i18n.messages import message
from backend.services.verification.verdicts import Finding, Verdict


class Outcome(StrEnum):
    VALID = "valid"
    PENDING = "pending"  # not anchored yet
    UNCHECKED = "unchecked"  # holds offline, but the chain could not be asked
    FAILED = "failed"


@dataclass(eq=False)
class EventResult:
    """The outcome for one event and every reason it did not hold (compared by identity)."""

    id: str
    lot: str
    type: str
    outcome: Outcome = Outcome.VALID
    findings: list[Finding] = field(default_factory=list)
    #: Rules v2: the document read from the stored bytes and keccak256 of those bytes (None
    #: when they could not be read), for the walk down the lot's chain.
    document: dict[str, Any] | None = None
    digest: bytes | None = None

    def fail(self, code: str, **params: Any) -> None:
        """Mark the event failed; a "valid" said by an earlier check no longer stands."""
        self.outcome = Outcome.FAILED
        self.findings = [f for f in self.findings if f.verdict is not Verdict.VERIFIED]
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
    rules: str = SCHEMA
    trusted_from: str | None = None  # where the registry address came from
    retired: list[str] = field(default_factory=list)  # earlier registries trusted too
    #: Registries whose signature domain an event may name besides the one holding its root.
    replaced: list[str] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for e in self.events if e.outcome is outcome)

    @property
    def exit_code(self) -> int:
        if self.problems or self.count(Outcome.FAILED):
            return 1
        incomplete = self.count(Outcome.PENDING) + self.count(Outcome.UNCHECKED)
        if incomplete or self.notices or not self.chain_reachable or not self.events:
            return 2
        return 0


def unreachable(result: BundleResult, registry: object, exc: Exception) -> Finding:
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


OUTCOME_LABEL = {outcome: message(f"proof_report.outcome.{outcome}") for outcome in Outcome}
#: The order of the counts in the report's last line.
_TOTALS = (Outcome.VALID, Outcome.FAILED, Outcome.PENDING, Outcome.UNCHECKED)


def render(result: BundleResult, *, rpc: str) -> str:
    """A plain-text report: one row per event, reasons in Vietnamese then English below it."""
    lines = [
        f"{message('proof_report.title')} — {message('proof_report.lot')} {result.lot}",
        f"{message('proof_report.chain')} {result.chain_id} · "
        f"{message('proof_report.contract')} {result.contract} · RPC {rpc}",
        f"{message('proof_report.rules')} {result.rules}"
        + (
            f" · {message('proof_report.trusted_from')} {result.trusted_from}"
            if result.trusted_from
            else ""
        ),
    ]
    if result.retired:
        lines.append(message("proof_report.retired", tail=", ".join(result.retired)))
    lines.append("")
    for problem in result.problems:  # each makes the whole check fail
        failed = OUTCOME_LABEL[Outcome.FAILED]
        lines += [f"!! {failed}: {problem.text('vi')}", f"   {problem.text('en')}"]
    for notice in result.notices:
        lines += [f"!! {notice.text('vi')}", f"   {notice.text('en')}"]
    if result.problems or result.notices:
        lines.append("")
    event_head, lot_head, type_head, result_head = (
        message(f"proof_report.column.{name}") for name in ("event", "lot", "type", "result")
    )
    header = f"{'#':>3}  {event_head:<36}  {lot_head:<16}  {type_head:<18}  {result_head}"
    lines += [header, "-" * len(header)]
    for number, event in enumerate(result.events, start=1):
        lines.append(
            f"{number:>3}  {event.id:<36}  {event.lot:<16}  {event.type:<18}  "
            f"{OUTCOME_LABEL[event.outcome]}"
        )
        if event.outcome not in (Outcome.VALID, Outcome.UNCHECKED):
            for finding in event.findings:
                lines += [f"       - {finding.text('vi')}", f"         {finding.text('en')}"]
    counts = (f"{result.count(o)} {message(f'proof_report.count.{o}')}" for o in _TOTALS)
    lines += ["", f"{message('proof_report.total')}: {', '.join(counts)}"]
    return "\n".join(lines)
