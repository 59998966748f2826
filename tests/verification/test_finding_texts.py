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


def test_the_json_reasons_equal_the_texts_for_plain_nested_and_unhashable_parameters() -> None:
    plain = Finding(Verdict.VERIFIED, "verified", {"block": 7, "confirmations": 3})
    nested = Finding(
        Verdict.TAMPERED,
        "in_event",
        {
            "event": "e",
            "type": "note",
            "lot": "L",
            "reason": Finding(Verdict.TAMPERED, "tampered_hash"),
        },
    )
    unhashable = Finding(
        Verdict.PENDING, "pending_not_final", {"block": [1], "confirmations": 0, "required": 2}
    )
    for finding in (plain, nested, unhashable):
        for _ in range(2):  # the second answer comes from the memo where there is one
            assert finding.as_json() == {
                "reason": finding.text("vi"),
                "reason_vi": finding.text("vi"),
                "reason_en": finding.text("en"),
                "reason_code": finding.code,
            }
    assert plain.as_json()["reason_en"] == rendered(plain, "en")
    assert plain.as_json()["reason_vi"] == rendered(plain, "vi")


def test_every_event_of_a_block_shares_one_verified_finding() -> None:
    from backend.services.verification.engine import _verified

    assert _verified(12, 3) is _verified(12, 3)
    assert _verified(12, 3) != _verified(12, "≥3")
    assert _verified(12, 3).text("en") == rendered(_verified(12, 3), "en")
