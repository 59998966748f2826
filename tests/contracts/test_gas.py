"""Gas of the hot paths stays within the design targets (gas is exact, not a timing)."""

from __future__ import annotations

from tests.contracts.scripts import load_script


def test_gas_report_meets_targets_for_anchor_and_record() -> None:
    gas_report = load_script("gas_report")
    rows = {row.operation: row for row in gas_report.measure(runs=4)}

    assert rows["anchorBatch"].target == 57_000
    assert rows["recordLotEvent"].target == 30_000
    assert rows["anchorBatch"].worst <= 57_000, rows["anchorBatch"]
    assert rows["recordLotEvent"].worst <= 30_000, rows["recordLotEvent"]
    # Each anchor writes exactly one fresh slot (a 20,000 gas SSTORE) and rewrites the heads
    # root: two fresh slots would blow the target, and a milestone writes none at all. Only
    # the first anchor of a registry creates the heads-root slot.
    assert min(rows["anchorBatch"].samples) > 21_000 + 20_000
    assert rows["anchorBatch, first heads root"].worst > rows["anchorBatch"].worst + 15_000
    assert rows["recordLotEvent"].worst < 21_000 + 20_000
    assert rows["anchorBatch v1"].target is None and len(rows["anchorBatch v1"].samples) == 4
    # Over rules v1's anchor: the heads root's compare-and-swap (5,785 gas) and the pause
    # check, one cold read of the paused flag (2,100 gas), a few opcodes and the longer
    # function dispatch of a registry with signed statements (8,190 in all). More would mean
    # the pause check reads a second slot or an anchor writes one.
    added = rows["anchorBatch"].worst - rows["anchorBatch v1"].worst
    assert 5_785 + 2_100 < added < 5_785 + 2_600, added
    # The relayed statements are measured (no target): each a real transaction of the platform.
    for name in ("recallWithSignature", "setSignerWithSignature", "setSigner (admin)"):
        assert rows[name].target is None and len(rows[name].samples) == 4, name
        assert 21_000 + 20_000 < rows[name].worst < 100_000, rows[name]


def test_gas_report_fails_a_missed_target() -> None:
    gas_report = load_script("gas_report")
    over = gas_report.GasRow("anchorBatch", (57_001,), 57_000)
    assert over.passed is False
    assert "FAIL" in gas_report.render([over])
    assert "PASS" in gas_report.render([gas_report.GasRow("anchorBatch", (56_000,), 57_000)])
