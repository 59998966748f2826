"""Labels per second into PDF and ZPL, through the label package's own benchmark pieces.

``scripts/bench_labels.py`` (owned with the ``qr`` package) defines the realistic run — a
serialised run of one lot, every label a different QR code — and how to clear the caches
between scenarios; this section reuses them and times ``qr.render_labels`` end to end, cold.
Baseline, same labels, same run: a bare QR image per label straight from the ``qrcode``
library (what the cheapest possible "label" costs), so the ratio is the price of layout,
Vietnamese text, drawing and the file format.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType

import qrcode
from qrcode.constants import ERROR_CORRECT_M

from bench.chain import ComponentMissing
from bench.config import BenchConfig
from bench.results import Row, SectionResult, number
from bench.stats import rate
from qr import render_labels

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bench_labels.py"
SCENARIOS = (("thermal-50x30", "pdf"), ("thermal-50x30", "zpl"))


def label_bench() -> ModuleType:
    """scripts/bench_labels.py as a module (it is a script, not part of a package)."""
    spec = importlib.util.spec_from_file_location("bench_labels", SCRIPT)
    if spec is None or spec.loader is None or not SCRIPT.exists():
        raise ComponentMissing(f"{SCRIPT} not found")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def bare_qr_images(uris: list[str]) -> float:
    started = time.perf_counter()
    for uri in uris:
        symbol = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
        symbol.add_data(uri)
        symbol.make(fit=True)
        symbol.make_image()
    return time.perf_counter() - started


def run(config: BenchConfig) -> SectionResult:
    result = SectionResult("labels", "Labels")
    pieces = label_bench()
    labels = pieces.make_labels(config.labels_per_file)
    count = len(labels)
    render_labels(labels[:1], layout="thermal-50x30", fmt="pdf")  # fonts loaded, as in a server
    bare = rate(count, bare_qr_images([label.uri for label in labels]))
    for layout, fmt in SCENARIOS:
        pieces.clear_caches()
        started = time.perf_counter()
        rendered = render_labels(labels, layout=layout, fmt=fmt)
        seconds = time.perf_counter() - started
        per_second = rate(count, seconds)
        result.add(
            Row(
                f"{count:,} serialised labels, {layout} → {fmt.upper()} "
                f"({len(rendered.content) / 1e6:.2f} MB)",
                per_second,
                "labels/s",
                baseline=f"bare qrcode image {number(bare)} /s",
                ratio=per_second / bare,
                ratio_label="of bare",
            )
        )
    split = pieces.phases(pieces.SCENARIOS[0], labels)
    total = sum(split.values())
    result.notes.append(
        "Where a thermal PDF's time goes (scripts/bench_labels.py phase split): "
        + ", ".join(f"{name} {seconds / total:.0%}" for name, seconds in split.items())
        + f". For 1,000 labels and the 20 s PDF target run `{SCRIPT.name}`."
    )
    return result
