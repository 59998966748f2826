"""Reason texts are remembered per (code, parameters, language); they must read as rendered."""

from __future__ import annotations

from backend.i18n import translator
from backend.services.verification.verdicts import Finding, Verdict


def rendered(finding: Finding, language: str) -> str:
    return translator(language)(f"verification.{finding.code}", **dict(finding.params))


def test_equal_but_different_values_do_not_share_a_text() -> None:
    as_int = Finding(Verdict.VERIFIED, "verified", {"block": 1, "confirmations": 1})
    as_bool = Finding(Verdict.VERIFIED, "verified", {"block": 1, "confirmations": True})
    for language in ("vi", "en"):
        assert as_int.text(language) == rendered(as_int, language)
        assert as_bool.text(language) == rendered(as_bool, language)


def test_nested_findings_render_in_the_outer_language() -> None:
    inner = Finding(Verdict.TAMPERED, "tampered_hash")
    outer = Finding(
        Verdict.TAMPERED, "in_event", {"event": "e", "type": "note", "lot": "L", "reason": inner}
    )
    for language in ("vi", "en"):
        expected = translator(language)(
            "verification.in_event", event="e", type="note", lot="L", reason=inner.text(language)
        )
        assert outer.text(language) == expected
        assert outer.text(language) == expected  # second call, same answer


def test_unhashable_parameters_still_render() -> None:
    finding = Finding(
        Verdict.PENDING, "pending_not_final", {"block": [1], "confirmations": 0, "required": 2}
    )
    assert finding.text("en") == rendered(finding, "en")
