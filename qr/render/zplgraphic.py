"""1-bit images as ZPL ``^GFA`` graphic fields, with Zebra's ASCII compression.

``^GFA,b,c,d,data``: ``b`` = ``c`` = uncompressed byte count, ``d`` = bytes per row, ``data``
= rows of hex digits where a 1 bit is a burnt (black) dot. The compression scheme of the ZPL
manual ("alternative data compression scheme") shortens each row:

* a repeat count before a hex digit: ``G``-``Y`` = 1-19 and ``g``-``z`` = 20, 40 … 400,
  summed (``hK7`` = 45 x ``7``);
* ``,`` fills the rest of the row with ``0``, ``!`` with ``F``;
* ``:`` repeats the previous row.

A label's text block is mostly blank, so this typically cuts it to a fifth of plain hex.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

# Pillow's 1-bit rows use 1 for white; ZPL uses 1 for a black dot.
_INVERT = bytes(255 - value for value in range(256))
_MAX_RUN = 419  # "z" (400) + "Y" (19)


@dataclass(frozen=True)
class GraphicField:
    """The parts of a ``^GFA`` command."""

    bytes_per_row: int
    total_bytes: int
    data: str

    def command(self) -> str:
        return f"^GFA,{self.total_bytes},{self.total_bytes},{self.bytes_per_row},{self.data}"


def graphic_field(image: Image.Image) -> GraphicField:
    """Encode a 1-bit image whose width is a multiple of 8 (so no row has padding bits)."""
    if image.mode != "1":
        raise ValueError(f"a ZPL graphic is 1-bit, not {image.mode}")
    if image.width % 8:
        raise ValueError(f"a ZPL graphic's width must be a multiple of 8 dots, not {image.width}")
    row_bytes = image.width // 8
    raw = image.tobytes().translate(_INVERT)
    rows: list[str] = []
    previous: str | None = None
    for start in range(0, len(raw), row_bytes):
        row = raw[start : start + row_bytes].hex().upper()
        rows.append(":" if row == previous else compress_row(row))
        previous = row
    return GraphicField(bytes_per_row=row_bytes, total_bytes=len(raw), data="".join(rows))


def compress_row(row: str) -> str:
    """One row of hex digits in compressed form (without the ``:`` row repeat)."""
    body, fill = row, ""
    if row.endswith("0"):
        body, fill = row.rstrip("0"), ","
    elif row.endswith("F"):
        body, fill = row.rstrip("F"), "!"
    out: list[str] = []
    index = 0
    while index < len(body):
        digit = body[index]
        run = 1
        while index + run < len(body) and body[index + run] == digit:
            run += 1
        index += run
        while run > 0:
            chunk = min(run, _MAX_RUN)
            out.append(digit if chunk == 1 else repeat_code(chunk) + digit)
            run -= chunk
    return "".join(out) + fill


def repeat_code(count: int) -> str:
    """The repeat-count letters for ``count`` (1-419)."""
    if not 1 <= count <= _MAX_RUN:
        raise ValueError(f"a ZPL repeat count is 1 to {_MAX_RUN}, not {count}")
    twenties, units = divmod(count, 20)
    high = chr(ord("g") + twenties - 1) if twenties else ""
    low = chr(ord("G") + units - 1) if units else ""
    return high + low
