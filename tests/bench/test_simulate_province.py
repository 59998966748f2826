"""``scripts/simulate_province.py``: its command line, the plan's arithmetic, and (slow) a
``--quick`` run end to end that names every figure.

The simulation drives the real stack (anvil, a durable PostgreSQL with a streaming replica, a
four-process server with its anchoring worker, wrk), so one tiny run is the proof that its
code path still works against the current API. No timing is checked: quick figures mean
nothing. Locally a missing component skips the test; under CI=true it fails it.
"""

from __future__ import annotations

import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest

from bench.province_plan import LOT_STEPS, WRITE_CURVE, Scale, batches_per_second, plan_writes
from bench.province_report import TABLE_HEADER
from tests.contracts.scripts import load_script
from tests.support.components import REPO_ROOT, missing

#: scripts/simulate_province.py's exit status when anvil, PostgreSQL or wrk is missing.
MISSING_COMPONENT = 3
FIGURES = (
    "sustained events/s",
    "scan p99",
    "bytes per event",
    "anchored batches",
    "gas per anchor",
    "gas (anchors + milestones)",
)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_quick_simulation_exits_cleanly_and_names_every_figure(tmp_path: Path) -> None:
    report = tmp_path / "province.md"
    completed = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "simulate_province.py"), "--quick",
         "--out", str(report)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=800,
    )  # fmt: skip
    if completed.returncode == MISSING_COMPONENT:
        missing("a component of the province simulation", completed.stderr.strip()[-500:])
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    assert TABLE_HEADER in completed.stdout
    for figure in FIGURES:
        assert figure in completed.stdout, figure
    assert "measured" in completed.stdout and "projected per simulated day" in completed.stdout
    assert report.read_text(encoding="utf-8").strip() in completed.stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--day-fraction", "0"], "--day-fraction must be in (0, 1]"),
        (["--day-fraction", "1.5"], "--day-fraction must be in (0, 1]"),
        (["--day-seconds", "5"], "--day-seconds must be at least 10"),
        (["--orgs", "0"], "--orgs must be at least 1"),
        (["--packers", "0"], "--packers must be at least 1"),
        (["--processes", "0"], "--processes must be 1…64"),
        (["--scans-per-day", "0"], "--scans-per-day must be at least 1"),
    ],
)
def test_the_command_line_refuses_sizes_that_name_no_run(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    script = load_script("simulate_province")
    with pytest.raises(SystemExit):
        script.parse_args(argv)
    assert message in capsys.readouterr().err


def test_quick_shrinks_only_the_sizes_left_at_their_defaults() -> None:
    script = load_script("simulate_province")
    args = script.parse_args(["--quick", "--orgs", "3"])
    assert (args.day_fraction, args.orgs, args.packers) == (0.0002, 3, 1)


def test_curve_instants_follow_the_curve_and_stay_in_the_day() -> None:
    instants = WRITE_CURVE.times(10_000, 240.0)
    assert instants == sorted(instants) and instants[0] >= 0 and instants[-1] < 240.0
    per_hour = [0] * 24
    for at in instants:
        per_hour[int(at / 10.0)] += 1
    assert [round(n / 10_000, 3) for n in per_hour] == [round(s, 3) for s in WRITE_CURVE.shares]


def test_each_lot_keeps_its_steps_in_order_on_one_writer() -> None:
    plans = plan_writes(lots=30, day_seconds=100.0, writers=4)
    assert sum(len(plan) for plan in plans) == 30 * len(LOT_STEPS)
    for plan in plans:
        for lot in {step.lot for step in plan}:
            mine = [step for step in plan if step.lot == lot]
            assert [step.index for step in mine] == list(range(len(LOT_STEPS)))
            assert all(a.at <= b.at for a, b in pairwise(mine))


def test_anchors_are_paced_by_size_when_busy_and_by_delay_when_quiet() -> None:
    def pace(rate: float) -> float:
        return batches_per_second(rate, max_events=1000, max_delay_s=30.0, poll_s=1.0)

    assert pace(100.0) == pytest.approx(0.1)  # 1,000 events fill in 10 s, before the delay
    assert pace(20.0) == pytest.approx(1 / (0.05 + 30.5))  # 600 events when the delay is up
    assert pace(1.0) == pytest.approx(1 / 31.5)
    assert pace(0.0) == 0.0


def test_scale_says_what_each_sampled_organisation_stands_for() -> None:
    scale = Scale(0.005, 180.0, 40, 16, 1_000_000)
    assert scale.events == 5_000 and scale.scans == 5_000
    assert scale.orgs_stood_for == pytest.approx(125.0)
    assert scale.org_day_share == pytest.approx(0.625)
    assert scale.rate_factor == pytest.approx(2.4)
    assert scale.per_day(10) == pytest.approx(2_000)
