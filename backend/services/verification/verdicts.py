"""Verdicts, their order, and the reasons given for them in Vietnamese and English.

Order, worst first: ``tampered`` > ``recalled`` > ``pending`` > ``verified``. Tampered outranks
recalled because a record that was altered cannot be trusted about anything, its recall status
included; the recall itself is never hidden by this, since every verification answer also
carries the recall separately (``recall``), so a page shows the recall warning whatever the
verdict. ``unknown`` is for lots that do not exist and never mixes with the others.

Reason texts live in the ``verification`` catalogues (backend/i18n/locales/{vi,en}); a
:class:`Finding` carries the key and its parameters, and renders both languages on demand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from backend.i18n import translator


class Verdict(StrEnum):
    VERIFIED = "verified"
    PENDING = "pending"
    RECALLED = "recalled"
    TAMPERED = "tampered"
    UNKNOWN = "unknown"


SEVERITY: dict[Verdict, int] = {
    Verdict.VERIFIED: 0,
    Verdict.PENDING: 1,
    Verdict.RECALLED: 2,
    Verdict.TAMPERED: 3,
}


def worst(verdicts: Iterable[Verdict], *, default: Verdict = Verdict.VERIFIED) -> Verdict:
    """The most severe verdict of ``verdicts`` (``default`` when there are none)."""
    return max(verdicts, key=SEVERITY.__getitem__, default=default)


@dataclass(frozen=True)
class Finding:
    """One verdict with the reason for it: a catalogue key plus its parameters."""

    verdict: Verdict
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def text(self, language: str) -> str:
        try:
            # Most findings repeat (every event of a batch is "verified in block N"), so texts
            # of plain parameters are remembered; nested findings are rendered each time.
            return _plain_text(
                language, self.code, tuple((k, type(v), v) for k, v in self.params.items())
            )
        except TypeError:  # an unhashable parameter value
            pass
        params = {k: _render(v, language) for k, v in self.params.items()}
        return translator(language)(f"verification.{self.code}", **params)

    def as_json(self) -> dict[str, Any]:
        """``reason`` (Vietnamese, the stable field), ``reason_vi``, ``reason_en``, the code."""
        vi = self.text("vi")
        return {
            "reason": vi,
            "reason_vi": vi,
            "reason_en": self.text("en"),
            "reason_code": self.code,
        }


@lru_cache(maxsize=4096)
def _plain_text(language: str, code: str, params: tuple[tuple[str, type, Any], ...]) -> str:
    """Keyed by each value's type too: ``1``, ``1.0`` and ``True`` are equal keys otherwise."""
    if any(isinstance(value, Finding) for _, _, value in params):
        raise TypeError("nested finding")  # rendered by the caller, in the same language
    return translator(language)(f"verification.{code}", **{k: v for k, _, v in params})


def _render(value: Any, language: str) -> Any:
    """Nested findings (an event's reason inside the lot's reason) render in the same language."""
    return value.text(language) if isinstance(value, Finding) else value


def worst_finding(findings: Iterable[Finding]) -> Finding | None:
    """The first finding of the highest severity (so the earliest event is the one named)."""
    chosen: Finding | None = None
    for finding in findings:
        if chosen is None or SEVERITY[finding.verdict] > SEVERITY[chosen.verdict]:
            chosen = finding
    return chosen
