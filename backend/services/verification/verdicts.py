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
from functools import cached_property, lru_cache
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
        key = self._plain_key
        if key is not None and language in _MEMO_LANGUAGES:
            return _plain_texts(self.code, key)[_MEMO_LANGUAGES.index(language)]
        params = {k: _render(v, language) for k, v in self.params.items()}
        return translator(language)(f"verification.{self.code}", **params)

    def as_json(self) -> dict[str, Any]:
        """``reason`` (Vietnamese, the stable field), ``reason_vi``, ``reason_en``, the code."""
        return dict(self.reason_fields)

    @cached_property
    def reason_fields(self) -> Mapping[str, str]:
        """:meth:`as_json`'s fields, rendered once per finding: a finding is immutable, and one
        shared finding stands for every event of a batch. Read-only: copy it to change it."""
        key = self._plain_key
        vi, en = (
            _plain_texts(self.code, key) if key is not None else (self.text("vi"), self.text("en"))
        )
        return {"reason": vi, "reason_vi": vi, "reason_en": en, "reason_code": self.code}

    @cached_property
    def _plain_key(self) -> tuple[tuple[str, type, Any], ...] | None:
        """The parameters as a memo key, or None when one is a nested finding or unhashable.

        Most findings repeat (every event of a batch is "verified in block N"), so texts of
        plain parameters are remembered; nested findings are rendered each time. Keyed by each
        value's type too: ``1``, ``1.0`` and ``True`` are equal keys otherwise."""
        key = tuple((k, type(v), v) for k, v in self.params.items())
        try:
            hash(key)
        except TypeError:
            return None
        if any(isinstance(value, Finding) for _, _, value in key):
            return None
        return key


#: The languages a verification answer carries, in the order ``_plain_texts`` returns them.
_MEMO_LANGUAGES = ("vi", "en")


@lru_cache(maxsize=4096)
def _plain_texts(code: str, params: tuple[tuple[str, type, Any], ...]) -> tuple[str, str]:
    """The finding's reason in Vietnamese and in English."""
    values = {k: v for k, _, v in params}
    vi, en = (
        translator(language)(f"verification.{code}", **values) for language in _MEMO_LANGUAGES
    )
    return vi, en


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
