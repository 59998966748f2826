"""The verification service's answer for a lot, shaped for the lot page.

The page shows the same verdicts as the public API and the consumer page (one engine, one
truth): the lot's verdict with its reason in the reader's language, and each event's verdict
by event id for the timeline. The verification itself comes along: a rules-v2 lot's page
states its facts from the documents it checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from backend.models import Lot
from backend.runtime import Runtime
from backend.services.verification.engine import verify_lot
from backend.services.verification.results import Verification
from backend.services.verification.verdicts import Verdict
from backend.web.operator.timeline import EventVerdict


@dataclass(frozen=True)
class LotReport:
    """A lot's verdict, why (None when verified), every own event's verdict by id, and the
    verification they come from (None for an unknown lot)."""

    verdict: str
    reason: str | None
    events: dict[str, EventVerdict] = field(default_factory=dict)
    verification: Verification | None = None


def lot_report(session: Session, *, runtime: Runtime, lot: Lot, lang: str) -> LotReport:
    result = verify_lot(session, code=lot.code, view=runtime.chain_view())
    if result is None:
        return LotReport(verdict=str(Verdict.UNKNOWN), reason=None)
    events = {
        check.event.id: EventVerdict(
            verdict=str(check.verdict),
            reason=None if check.verdict is Verdict.VERIFIED else check.finding.text(lang),
        )
        for check in result.lot.events
    }
    reason = None if result.verdict is Verdict.VERIFIED else result.finding.text(lang)
    return LotReport(verdict=str(result.verdict), reason=reason, events=events, verification=result)
