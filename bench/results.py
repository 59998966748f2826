"""Benchmark rows, section results and the markdown report they make.

A row is one measured figure with the baseline it was compared with in the same run, the
ratio between them, and the target it is held to (if any). Formatting lives here so every
section prints the same way and the README table is the console table.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path


@dataclass(frozen=True)
class Row:
    """One figure. ``holds`` is None when there is no target, else whether it was met."""

    measure: str
    value: float | None
    unit: str
    baseline: str = ""
    ratio: float | None = None
    ratio_label: str = ""
    target: str = ""
    holds: bool | None = None
    note: str = ""


@dataclass
class SectionResult:
    """What one section measured; ``skipped`` says why it could not run (nothing measured)."""

    name: str
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    skipped: str | None = None
    files: list[Path] = field(default_factory=list)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row


def number(value: float | None) -> str:
    """A figure with as many digits as it deserves: 12,345 · 123 · 12.3 · 1.23 · 0.123."""
    if value is None:
        return "–"
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _ratio(row: Row) -> str:
    if row.ratio is None:
        return ""
    text = f"{number(row.ratio)}×"
    return f"{text} {row.ratio_label}".strip()


def _holds(row: Row) -> str:
    if row.holds is None:
        return ""
    return "✓ yes" if row.holds else "**✗ no**"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(results: list[SectionResult]) -> str:
    """All rows of all sections as one GitHub markdown table."""
    lines = [
        "| section | measure | value | baseline (same run) | ratio | target | holds |",
        "| --- | --- | ---: | --- | ---: | --- | --- |",
    ]
    for result in results:
        if result.skipped:
            lines.append(f"| {result.title} | skipped: {_cell(result.skipped)} | | | | | |")
            continue
        for row in result.rows:
            value = f"{number(row.value)} {row.unit}".strip()
            cells = [result.title, row.measure, value, row.baseline, _ratio(row), row.target]
            lines.append("| " + " | ".join(_cell(c) for c in [*cells, _holds(row)]) + " |")
    return "\n".join(lines)


def machine_line() -> str:
    """Where the figures come from: cores, load, Python, OS (the figures mean little without)."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores, load average {load} at start, Python "
        f"{platform.python_version()}, {platform.system()} {platform.release()}"
    )


def markdown_report(
    results: list[SectionResult], *, command: str, machine: str, total_seconds: float
) -> str:
    """The full report: command, machine, the table, then each section's notes."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "# SenTrace benchmark",
        "",
        f"Command: `{command}` · {stamp} · {total_seconds:.0f} s",
        "",
        f"Machine: {machine}",
        "",
        markdown_table(results),
    ]
    for result in results:
        if result.notes:
            parts += ["", f"**{result.title}**", ""]
            parts += [f"- {note}" for note in result.notes]
    return "\n".join(parts) + "\n"


def write_json(results: list[SectionResult], path: Path) -> None:
    """Machine-readable copy of every row (for comparing runs)."""
    payload = [
        {
            "name": r.name,
            "title": r.title,
            "seconds": round(r.seconds, 3),
            "skipped": r.skipped,
            "rows": [asdict(row) for row in r.rows],
            "notes": r.notes,
            "files": [str(f) for f in r.files],
        }
        for r in results
    ]
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
