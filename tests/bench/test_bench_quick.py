"""``scripts/bench.py --quick`` still runs end to end and prints its table (no timing checks).

The bench drives real components (anvil, PostgreSQL, uvicorn, the anchoring worker), so one
quick run is the proof that every section's code path still works against the current
interfaces. Locally a section whose component is missing is reported as skipped; under
CI=true every section must have run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.config import SECTIONS
from tests.support.components import REPO_ROOT, in_ci

TABLE_HEADER = "| section | measure | value | baseline (same run) | ratio | target | holds |"


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_quick_bench_exits_cleanly_and_prints_every_section(tmp_path: Path) -> None:
    script = REPO_ROOT / "scripts" / "bench.py"
    completed = subprocess.run(
        [sys.executable, str(script), "--quick", "--out", str(tmp_path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=1100,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    assert TABLE_HEADER in completed.stdout
    report = json.loads((tmp_path / "bench.json").read_text(encoding="utf-8"))
    assert [section["name"] for section in report] == list(SECTIONS)
    for section in report:
        if section["skipped"] is not None:
            assert not in_ci(), f"{section['name']} skipped under CI: {section['skipped']}"
            continue
        assert section["rows"], f"{section['name']} measured nothing"
        for row in section["rows"]:
            assert row["value"] is None or row["value"] >= 0, row
    assert (tmp_path / "bench.md").read_text(encoding="utf-8").count(TABLE_HEADER) == 1
    assert (tmp_path / "gas_per_event.png").read_bytes().startswith(b"\x89PNG")
