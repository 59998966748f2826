from __future__ import annotations

import math
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from qr.layouts import LAYOUTS, get_layout
from qr.render import render_labels
from tests.qr.helpers import decode_qr_codes, pdf_pages, sample_labels
from tests.support.components import missing

LAYOUT_DPIS = [(name, dpi) for name, layout in LAYOUTS.items() for dpi in layout.dpis]


@pytest.mark.parametrize(("layout_name", "dpi"), LAYOUT_DPIS)
def test_pdf_pages_have_the_exact_physical_size_and_every_code_decodes(
    layout_name: str, dpi: int
) -> None:
    layout = get_layout(layout_name)
    count = 3 if layout.is_roll else layout.labels_per_page + 2
    labels = sample_labels(count)
    rendered = render_labels(labels, layout=layout_name, fmt="pdf", dpi=dpi)
    assert rendered.media_type == "application/pdf"
    assert rendered.filename.endswith(f"-{layout_name}-{dpi}dpi.pdf")
    pages = pdf_pages(rendered.content, dpi)
    assert len(pages) == math.ceil(count / layout.labels_per_page)
    decoded: list[str] = []
    for (width_mm, height_mm), image in pages:
        assert (width_mm, height_mm) == (
            pytest.approx(layout.page_size_mm[0], abs=0.01),
            pytest.approx(layout.page_size_mm[1], abs=0.01),
        )
        decoded.extend(decode_qr_codes(image))
    assert sorted(decoded) == sorted(label.uri for label in labels)


def test_thermal_pdf_is_one_label_per_page_in_order() -> None:
    labels = sample_labels(4)
    pages = pdf_pages(render_labels(labels, layout="thermal-50x30", fmt="pdf").content, 203)
    assert [decode_qr_codes(image) for _, image in pages] == [[label.uri] for label in labels]


def test_a_run_without_serials_stores_the_label_image_once() -> None:
    labels = sample_labels(50, serials=False)
    content = render_labels(labels, layout="thermal-50x30", fmt="pdf").content
    assert len(re.findall(rb"/Subtype /Image", content)) == 1
    assert len(re.findall(rb"/Type /Page\b", content)) == 50


@pytest.mark.parametrize(("layout_name", "resolution"), [("thermal-50x30", 406), ("a4", 300)])
def test_poppler_reads_the_pdf_too(tmp_path: Path, layout_name: str, resolution: int) -> None:
    """A second, independent PDF reader: the file is not only right for pdfium."""
    if shutil.which("pdftoppm") is None or shutil.which("pdfinfo") is None:
        missing("poppler-utils (pdftoppm, pdfinfo)", "apt-get install poppler-utils")
    labels = sample_labels(2)
    pdf = tmp_path / "labels.pdf"
    pdf.write_bytes(render_labels(labels, layout=layout_name, fmt="pdf").content)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info.stdout)
    assert size is not None, info.stdout
    width_pt, height_pt = map(float, size.groups())
    expected = get_layout(layout_name).page_size_mm
    assert width_pt * 25.4 / 72 == pytest.approx(expected[0], abs=0.01)
    assert height_pt * 25.4 / 72 == pytest.approx(expected[1], abs=0.01)
    subprocess.run(
        ["pdftoppm", "-r", str(resolution), "-gray", "-png", str(pdf), str(tmp_path / "page")],
        check=True,
        capture_output=True,
    )
    decoded = []
    for page in sorted(tmp_path.glob("page-*.png")):
        decoded.extend(decode_qr_codes(Image.open(page)))
    assert sorted(decoded) == sorted(label.uri for label in labels)
