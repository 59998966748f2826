"""ZPL II for Zebra thermal printers: one ``^XA … ^XZ`` format per label.

* Page: ``^PW`` / ``^LL`` are the label size in dots of the chosen resolution (400 x 240 for
  50 x 30 mm at 203 dpi), ``^LH0,0``.
* QR: a native ``^BQN,2,<m>,<ec>`` field at the symbol's top-left, magnification = our dots per
  module. The data uses *manual* input in byte mode, ``^FD<ec>M,B<nnnn><uri>``: the printer
  then encodes exactly as :mod:`qr.encode` does (one byte segment), so the symbol has the
  version and size the layout reserved; in automatic mode the firmware may split segments and
  change the size. ``^FH`` escapes a ``^`` or ``~`` should a base URL ever contain one.
* Text: Zebra's resident fonts have no Vietnamese letters with stacked marks (ồ, ự, ẫ …).
  Printing them natively needs a TrueType font downloaded to each printer (``~DU`` / ``^CW``)
  and a ``^CI28`` UTF-8 setup, which we cannot rely on across a cooperative's printers. The
  text block is therefore drawn with Be Vietnam Pro exactly as on the PNG/PDF label and sent
  as a compressed ``^GFA`` graphic; the QR stays native so it prints crisp at any darkness.
"""

from __future__ import annotations

from collections.abc import Sequence

from qr.compose import LabelPlan, draw_text_block, plan_label
from qr.encode import ErrorCorrection
from qr.errors import UnsupportedFormat
from qr.layouts import Layout
from qr.model import LabelData
from qr.render.base import LabelRenderer
from qr.render.zplgraphic import graphic_field

#: ``^BQ`` magnification accepts 1-10 dots per module.
MAX_MAGNIFICATION = 10
_HEX_INDICATOR = "\\"
_NEEDS_ESCAPE = ("^", "~", _HEX_INDICATOR)


class ZplRenderer(LabelRenderer):
    media_type = "application/zpl"
    extension = "zpl"

    def supports(self, layout: Layout) -> bool:
        return layout.is_roll

    def render(
        self,
        labels: Sequence[LabelData],
        layout: Layout,
        dpi: int,
        *,
        level: ErrorCorrection = ErrorCorrection.M,
    ) -> bytes:
        if not self.supports(layout):
            raise UnsupportedFormat(f"ZPL is for thermal roll labels, not layout {layout.name}")
        formats: dict[LabelData, str] = {}
        out = []
        for label in labels:
            text = formats.get(label)
            if text is None:
                text = zpl_label(plan_label(label, layout, dpi, level))
                formats[label] = text
            out.append(text)
        return "".join(out).encode("ascii")


def zpl_label(plan: LabelPlan) -> str:
    """The ``^XA … ^XZ`` format for one planned label."""
    if plan.module_dots > MAX_MAGNIFICATION:
        raise UnsupportedFormat(
            f"{plan.module_dots} dots per module is beyond ZPL's ^BQ magnification limit "
            f"of {MAX_MAGNIFICATION}"
        )
    level = plan.symbol.error_correction.value
    qr_x, qr_y = plan.qr_origin
    box = plan.text_box
    return "\n".join(
        [
            "^XA",
            f"^PW{plan.width}",
            f"^LL{plan.height}",
            "^LH0,0",
            f"^FO{qr_x},{qr_y}^BQN,2,{plan.module_dots},{level}"
            f"{qr_field_data(plan.symbol.data, level)}^FS",
            f"^FO{box.x},{box.y}{graphic_field(draw_text_block(plan)).command()}^FS",
            "^XZ",
            "",
        ]
    )


def qr_field_data(data: str, level: str) -> str:
    """``^FD`` for a QR field: manual input, one byte-mode segment with its byte count."""
    encoded = data.encode("utf-8")
    if len(encoded) > 9999:
        raise UnsupportedFormat("a ZPL QR byte segment holds at most 9999 bytes")
    switches = f"{level}M,B{len(encoded):04d}"
    if data.isascii() and not any(ch in data for ch in _NEEDS_ESCAPE):
        return f"^FD{switches}{data}"
    escaped = "".join(
        f"{_HEX_INDICATOR}{byte:02X}" if byte > 127 or chr(byte) in _NEEDS_ESCAPE else chr(byte)
        for byte in encoded
    )
    return f"^FH{_HEX_INDICATOR}^FD{switches}{escaped}"
