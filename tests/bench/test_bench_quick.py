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

from bench.config import SECTIONS, BenchConfig, processes
from tests.support.components import REPO_ROOT, in_ci

TABLE_HEADER = "| section | measure | value | baseline (same run) | ratio | target | holds |"


def quick_processes() -> str:
    """How the quick run's HTTP rows name their server ("2 processes")."""
    (workers,) = BenchConfig.quick_run(Path(), Path()).server_workers
    return processes(workers)


def check_http_rows_name_their_server(sections: dict[str, dict[str, object]]) -> None:
    """Every row measured over HTTP says on how many server processes, and targets are judged
    where they apply."""
    named = f", {quick_processes()}]"
    verification = sections["verification"]
    if verification["skipped"] is None:
        rows = verification["rows"]
        assert isinstance(rows, list)
        assert all(named in row["measure"] for row in rows), rows
        assert any(row["holds"] is not None for row in rows)
    ingest = sections["ingest"]
    if ingest["skipped"] is None:
        rows = ingest["rows"]
        assert isinstance(rows, list)
        http = [row for row in rows if "HTTP POST" in row["measure"]]
        assert http and all(named in row["measure"] for row in http), http
        assert any(row["holds"] is not None for row in rows)  # the service layer's, at least
        # The single-event and batch targets name one server process: judged there only.
        judged = [row for row in http if row["holds"] is not None]
        assert all(", 1 process]" in row["measure"] for row in judged), judged


def check_rules_rows(sections: dict[str, dict[str, object]]) -> None:
    """Rules v1 and v2 are both measured, in process and over HTTP, v2 against v1."""
    rules = sections["verification_rules"]
    if rules["skipped"] is not None:
        return
    rows = rules["rows"]
    assert isinstance(rows, list)
    in_process = [row for row in rows if "in process]" in row["measure"]]
    http = [row for row in rows if row not in in_process]
    assert [row["measure"].split(", rules ")[1][:2] for row in in_process] == ["v1", "v2"], rows
    assert http and all(f", {quick_processes()}]" in row["measure"] for row in http), http
    against_v1 = [row for row in rows if row["baseline"].startswith("rules v1 ")]
    assert len(against_v1) >= 2 and all(row["ratio"] > 0 for row in against_v1), rows


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
    check_http_rows_name_their_server({section["name"]: section for section in report})
    check_rules_rows({section["name"]: section for section in report})
    assert (tmp_path / "bench.md").read_text(encoding="utf-8").count(TABLE_HEADER) == 1
    assert (tmp_path / "gas_per_event.png").read_bytes().startswith(b"\x89PNG")
