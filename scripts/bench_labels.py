"""Label throughput benchmark (not a test): how fast do runs of labels become files?

Scenarios, each with serialised labels (every label a different QR code, the expensive case):

* 1,000 thermal 50 x 30 mm labels into one PDF (target: under 20 s on a 2-core machine),
* the same labels as ZPL,
* 1,000 labels on A4 sheets (42 pages) into one PDF.

For each it prints the end-to-end time through :func:`qr.render.render_labels` with cold
caches (CPU seconds of this single-threaded process, plus wall time, which on a shared machine
also counts the neighbours), and a second, instrumented pass that times the phases
separately: QR encoding, layout (fitting the text), drawing (raster label, or text graphic +
ZPL for ZPL) and writing the file. ``--quick`` runs 50 labels, for CI.

    .venv/bin/python scripts/bench_labels.py [--quick] [--count N] [--save DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qr import compose, encode, text
from qr.compose import draw_label, plan_label
from qr.encode import ErrorCorrection, encode_qr
from qr.layouts import get_layout
from qr.model import LabelData
from qr.render import render_labels
from qr.render.pdf import pdf_from_images
from qr.render.zpl import zpl_label
from qr.uri import build_uri

T = TypeVar("T")

TARGET_PDF_SECONDS_PER_1000 = 20.0
BASE_URL = "https://truyxuat.sentrace.vn"


@dataclass(frozen=True)
class Scenario:
    name: str
    layout: str
    fmt: str


SCENARIOS = (
    Scenario("thermal-50x30 → PDF", "thermal-50x30", "pdf"),
    Scenario("thermal-50x30 → ZPL", "thermal-50x30", "zpl"),
    Scenario("A4 sheets → PDF", "a4", "pdf"),
)


def make_labels(count: int) -> list[LabelData]:
    """A serialised run of one lot, as a packer prints it."""
    lot = "XC-2026-0042"
    return [
        LabelData(
            uri=build_uri(BASE_URL, gtin="8935049500018", lot=lot, serial=f"{n:06d}"),
            product_name_vi="Xoài cát Chu",
            product_name_en="Cat Chu mango",
            lot_code=lot,
            harvest_date=date(2026, 5, 12),
            commune="Xã Mỹ Xương",
            serial=f"{n:06d}",
        )
        for n in range(1, count + 1)
    ]


def clear_caches() -> None:
    """Forget encoded symbols and measured text, keep the loaded font files (as a server would)."""
    encode.encode_qr.cache_clear()
    for cached in (text._advance, text.ink, text._wrap, compose._line_mask):
        cached.cache_clear()


def timed(action: Callable[[], T]) -> tuple[float, T]:
    """CPU seconds spent by this process in ``action``, and its result.

    CPU time rather than wall time: the machine is shared, and wall time then measures the
    neighbours as much as the code. :func:`run` reports wall time for the whole run as well.
    """
    start = time.process_time()
    result = action()
    return time.process_time() - start, result


def phases(scenario: Scenario, labels: Sequence[LabelData]) -> dict[str, float]:
    """The same work as render_labels, one phase at a time."""
    clear_caches()
    layout = get_layout(scenario.layout)
    dpi = layout.default_dpi
    level = ErrorCorrection.M
    qr_s, symbols = timed(lambda: [encode_qr(label.uri, level) for label in labels])
    layout_s, plans = timed(
        lambda: [
            plan_label(label, layout, dpi, level, symbol=symbol)
            for label, symbol in zip(labels, symbols, strict=True)
        ]
    )
    if scenario.fmt == "zpl":
        draw_s, formats = timed(lambda: [zpl_label(plan) for plan in plans])
        write_s, _ = timed(lambda: "".join(formats).encode("ascii"))
    else:
        draw_s, images = timed(lambda: [draw_label(plan, layout.color_mode) for plan in plans])
        write_s, _ = timed(lambda: pdf_from_images(images, layout, dpi))
    return {"qr": qr_s, "layout": layout_s, "draw": draw_s, "write": write_s}


def run(scenario: Scenario, labels: Sequence[LabelData], save: Path | None) -> None:
    clear_caches()
    started = time.perf_counter()
    total, rendered = timed(lambda: render_labels(labels, layout=scenario.layout, fmt=scenario.fmt))
    wall = time.perf_counter() - started
    split = phases(scenario, labels)
    split_total = sum(split.values())
    rate = len(labels) / total
    print(
        f"{scenario.name:<22} {len(labels):>5} labels  {total:6.2f} s CPU ({wall:6.2f} s wall)  "
        f"{rate:6.1f} labels/s  {len(rendered.content) / 1e6:5.2f} MB"
    )
    parts = "  ".join(
        f"{name} {seconds:5.2f} s ({seconds / split_total:4.0%})" for name, seconds in split.items()
    )
    print(f"{'':<22} phases: {parts}")
    if scenario.fmt == "pdf" and scenario.layout.startswith("thermal"):
        per_1000 = total * 1000 / len(labels)  # one thread: CPU time = wall time when idle
        verdict = "within" if per_1000 <= TARGET_PDF_SECONDS_PER_1000 else "OVER"
        print(
            f"{'':<22} {per_1000:.1f} s per 1,000 labels: {verdict} the "
            f"{TARGET_PDF_SECONDS_PER_1000:.0f} s target"
        )
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        (save / rendered.filename).write_bytes(rendered.content)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="labels per scenario")
    parser.add_argument("--quick", action="store_true", help="50 labels (for CI)")
    parser.add_argument("--save", type=Path, help="write the generated files to this folder")
    args = parser.parse_args(argv)
    count = 50 if args.quick else args.count
    labels = make_labels(count)
    # Load the fonts once, as a running server already has them.
    plan_label(labels[0], get_layout("thermal-50x30"), 203)
    print(
        f"label benchmark: {count} serialised labels per scenario, "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    for scenario in SCENARIOS:
        run(scenario, labels, args.save)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
