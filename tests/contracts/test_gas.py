"""Gas of the hot paths stays within the design targets (gas is exact, not a timing)."""

from __future__ import annotations

from tests.contracts.scripts import load_script


def test_gas_report_meets_targets_for_anchor_and_record() -> None:
    gas_report = load_script("gas_report")
    rows = {row.operation: row for row in gas_report.measure(runs=4)}

    assert rows["anchorBatch"].target == 50_000
    assert rows["recordLotEvent"].target == 30_000
    assert rows["anchorBatch"].worst <= 50_000, rows["anchorBatch"]
    assert rows["recordLotEvent"].worst <= 30_000, rows["recordLotEvent"]
    # Each anchor writes exactly one fresh slot (a 20,000 gas SSTORE): two would blow the target,
    # and a milestone writes none at all.
    assert min(rows["anchorBatch"].samples) > 21_000 + 20_000
    assert rows["recordLotEvent"].worst < 21_000 + 20_000


def test_gas_report_fails_a_missed_target() -> None:
    gas_report = load_script("gas_report")
    over = gas_report.GasRow("anchorBatch", (50_001,), 50_000)
    assert over.passed is False
    assert "FAIL" in gas_report.render([over])
    assert "PASS" in gas_report.render([gas_report.GasRow("anchorBatch", (49_000,), 50_000)])
