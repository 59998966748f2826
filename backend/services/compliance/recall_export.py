"""Recall impact as files: CSV for spreadsheets, PDF (A4, Vietnamese diacritics) for a file.

The PDF is laid out with fpdf2 in Be Vietnam Pro (the label font, from ``fontpkg``), one line
per lot, headers repeated on every page, so an inspector can print thousands of lots at once.
"""

from __future__ import annotations

import csv
import io

from fpdf import FPDF

from backend.i18n import Translator
from backend.services.compliance.recall_impact import Impact
from backend.timeutil import in_vietnam, utcnow
from qr.fonts import font_path

COLUMNS = ("lot", "product", "quantity", "unit", "depth", "custodian", "custodian_name",
           "recalled", "labels_printed", "scans")  # fmt: skip


def impact_csv(impact: Impact) -> bytes:
    """UTF-8 CSV with a byte-order mark (spreadsheets then read the diacritics right)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for lot in impact.lots:
        writer.writerow(
            (lot.code, lot.product, lot.quantity, lot.unit, lot.depth, lot.custodian_slug,
             lot.custodian_name, "yes" if lot.recalled else "no", lot.labels_printed, lot.scans)
        )  # fmt: skip
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def impact_pdf(impact: Impact, t: Translator) -> bytes:
    """An A4 report: what was recalled, how many lots and custodians, then every lot."""
    fitted: dict[tuple[str, str, float], str] = {}  # a run repeats names: measure each once
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_font("BeVietnamPro", "", font_path(400))
    pdf.add_font("BeVietnamPro", "B", font_path(700))
    pdf.add_page()
    pdf.set_font("BeVietnamPro", "B", 14)
    pdf.cell(0, 8, t("compliance.recall.pdf_title"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("BeVietnamPro", "", 9)
    summary = t(
        f"compliance.recall.pdf_source_{impact.source_kind}",
        ref=impact.source_ref,
        lots=len(impact.lots),
        custodians=len(impact.custodians),
        at=in_vietnam(utcnow()).strftime("%d/%m/%Y %H:%M"),
    )
    pdf.multi_cell(0, 5, summary, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    headers = [t(f"compliance.recall.col_{name}") for name in _SHOWN]
    _row(pdf, headers, fitted, bold=True)
    yes = t("compliance.recall.yes")
    for lot in impact.lots:
        if pdf.will_page_break(5):
            pdf.add_page()
            _row(pdf, headers, fitted, bold=True)
        cells = [lot.code, lot.product, f"{lot.quantity} {lot.unit}", str(lot.depth),
                 lot.custodian_name, yes if lot.recalled else "", str(lot.labels_printed),
                 str(lot.scans)]  # fmt: skip
        _row(pdf, cells, fitted)
    return bytes(pdf.output())


_SHOWN = ("lot", "product", "quantity", "depth", "custodian", "recalled", "labels", "scans")
_SHOWN_WIDTHS = (40, 22, 26, 12, 50, 10, 15, 15)


def _row(
    pdf: FPDF,
    cells: list[str],
    fitted: dict[tuple[str, str, float], str],
    *,
    bold: bool = False,
) -> None:
    """One table row; ``fitted`` remembers each text already cut to its column."""
    style = "B" if bold else ""
    if pdf.font_style != style:
        pdf.set_font("BeVietnamPro", style, 8)
    for text, width in zip(cells, _SHOWN_WIDTHS, strict=True):
        shown = fitted.get((style, text, width))
        if shown is None:
            shown = fitted[(style, text, width)] = _fit(pdf, text, width)
        pdf.cell(width, 5, shown, border="B")
    pdf.ln(5)


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """``text`` cut with an ellipsis to fit ``width`` mm (names can be long)."""
    if pdf.get_string_width(text) <= width - 1:
        return text
    while text and pdf.get_string_width(text + "…") > width - 1:
        text = text[:-1]
    return text + "…"
