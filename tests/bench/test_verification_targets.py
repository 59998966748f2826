"""The verification section holds the verdict JSON and the consumer page to their own targets."""

from __future__ import annotations

from bench.results import SectionResult, markdown_table
from bench.verification import ENDPOINT_TARGETS, Measured, _endpoint_rows
from bench.wrk import WrkResult


def measured(name: str, requests: int, latency_ms: float, cpu_ms: float) -> Measured:
    """``requests`` answers in 10 s, each taking ``latency_ms``, costing ``cpu_ms`` each."""
    load = WrkResult(seconds=10.0, latencies=[latency_ms / 1000.0] * requests)
    return Measured(name, load, cpu_seconds=requests * cpu_ms / 1000.0)


def test_the_page_is_held_to_a_quarter_of_bare_and_a_p99_under_80_ms() -> None:
    bare = measured("bare FastAPI sync def", 10_000, 5.0, 0.5)
    alone = measured("page", 100, 5.0, 2.0)
    result = SectionResult("verification", "Verification under load")
    verdicts, page = ENDPOINT_TARGETS
    # 30 % of bare and p99 70 ms: enough for the page, not for the verdict JSON.
    loaded = measured("page", 3_000, 70.0, 1.8)
    _endpoint_rows(result, "SQLite, 1 process", loaded, bare, alone, targets=page)
    _endpoint_rows(result, "SQLite, 1 process", loaded, bare, alone, targets=verdicts)
    held = [(row.target, row.holds) for row in result.rows if row.target]
    assert held == [
        ("≥ 1/4 of bare", True),
        ("≥ 1/4 of bare capacity", True),
        ("p99 < 80 ms", True),
        ("≥ 1/3 of bare", False),
        ("≥ 1/3 of bare capacity", False),
        ("p99 < 50 ms", False),
    ]
    table = markdown_table([result])
    assert "✓ yes" in table and "**✗ no**" in table
