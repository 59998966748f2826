"""A small ZPL reader for tests: parses our label formats and rasterises them.

It understands exactly what :mod:`qr.render.zpl` emits (``^XA ^PW ^LL ^LH ^FO ^BQ ^FH ^FD ^GFA
^FS ^XZ``) and refuses anything else, so a stray command fails the test. A ``^BQ`` field is
rasterised by encoding its data afresh with ``qrcode`` at the field's error correction and
magnification, as the printer's own encoder would; ``^GFA`` data is decompressed following
the ZPL manual's compression scheme, written here independently of the encoder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q
from qrcode.util import MODE_8BIT_BYTE, QRData

_LEVELS = {"L": ERROR_CORRECT_L, "M": ERROR_CORRECT_M, "Q": ERROR_CORRECT_Q, "H": ERROR_CORRECT_H}


@dataclass
class QrField:
    x: int
    y: int
    magnification: int
    level: str
    input_mode: str
    data: str


@dataclass
class GraphicField:
    x: int
    y: int
    binary_bytes: int
    field_bytes: int
    bytes_per_row: int
    data: str

    def image(self) -> Image.Image:
        return decode_graphic(self.data, self.bytes_per_row, self.field_bytes)


@dataclass
class ZplLabel:
    width: int = 0
    length: int = 0
    qr_fields: list[QrField] = field(default_factory=list)
    graphics: list[GraphicField] = field(default_factory=list)


def parse_zpl(text: str) -> list[ZplLabel]:
    """Split a ZPL document into labels and read their fields."""
    labels: list[ZplLabel] = []
    current: ZplLabel | None = None
    origin = (0, 0)
    pending_qr: tuple[int, str] | None = None
    hex_indicator: str | None = None
    for command in re.split(r"(?=\^)", text.replace("\n", "")):
        if not command:
            continue
        code, args = command[:3], command[3:]
        if code == "^XA":
            current = ZplLabel()
            continue
        assert current is not None, f"{command!r} outside ^XA ... ^XZ"
        if code == "^XZ":
            labels.append(current)
            current = None
        elif code == "^PW":
            current.width = int(args)
        elif code == "^LL":
            current.length = int(args)
        elif code == "^LH":
            assert args == "0,0"
        elif code == "^FO":
            x, y = args.split(",")
            origin = (int(x), int(y))
        elif code == "^BQ":
            orientation, model, magnification, level = args.split(",")
            assert (orientation, model) == ("N", "2")
            pending_qr = (int(magnification), level)
        elif code == "^FH":
            hex_indicator = args or "_"
        elif code == "^FD":
            assert pending_qr is not None, "^FD without a barcode command"
            data = _unescape(args, hex_indicator) if hex_indicator else args
            level, mode_and_data = data[0], data[1:]
            assert level == pending_qr[1], "error correction differs between ^BQ and ^FD"
            input_mode, payload = mode_and_data.split(",", 1)
            if input_mode == "M":
                assert payload[0] == "B", "manual input must be byte mode"
                byte_count, payload = int(payload[1:5]), payload[5:]
                assert byte_count == len(payload.encode("utf-8")), "byte count does not match"
            current.qr_fields.append(
                QrField(origin[0], origin[1], pending_qr[0], level, input_mode, payload)
            )
        elif code == "^FS":
            pending_qr, hex_indicator = None, None
        elif code == "^GF":
            kind, binary, count, per_row, data = args.split(",", 4)
            assert kind == "A"
            current.graphics.append(
                GraphicField(origin[0], origin[1], int(binary), int(count), int(per_row), data)
            )
        else:
            raise AssertionError(f"unexpected ZPL command {command[:20]!r}")
    assert current is None, "unterminated label"
    return labels


def decode_graphic(data: str, bytes_per_row: int, total_bytes: int) -> Image.Image:
    """Expand ASCII-hex ``^GFA`` data (with ZPL compression) into a 1-bit image."""
    width = bytes_per_row * 2
    rows: list[str] = []
    row = ""
    repeat = 0
    for char in data:
        if "G" <= char <= "Y":
            repeat += ord(char) - ord("G") + 1
        elif "g" <= char <= "z":
            repeat += (ord(char) - ord("g") + 1) * 20
        elif char in "0123456789ABCDEF":
            row += char * (repeat or 1)
            repeat = 0
        elif char in ",!":
            row = row.ljust(width, "0" if char == "," else "F")
        elif char == ":":
            assert row == "" and rows, "':' must stand for a whole row after another row"
            row = rows[-1]
        else:
            raise AssertionError(f"unexpected character {char!r} in ^GFA data")
        assert len(row) <= width, "a row ran past its width"
        if len(row) == width:
            rows.append(row)
            row = ""
    assert row == "" and repeat == 0, "graphic data ends in the middle of a row"
    assert len(rows) * bytes_per_row == total_bytes, "row count does not match the byte count"
    raw = bytes.fromhex("".join(rows))
    # ZPL: 1 = black dot; Pillow "1": 1 = white.
    inverted = bytes(255 - value for value in raw)
    return Image.frombytes("1", (bytes_per_row * 8, len(rows)), inverted)


def rasterise(label: ZplLabel) -> Image.Image:
    """The label as the printer would print it (one pixel per dot)."""
    canvas = Image.new("L", (label.width, label.length), 255)
    for graphic in label.graphics:
        ink = graphic.image().convert("L").point(lambda value: 255 - value)
        canvas.paste(0, (graphic.x, graphic.y), ink)
    for qr_field in label.qr_fields:
        canvas.paste(qr_symbol(qr_field), (qr_field.x, qr_field.y))
    return canvas


def qr_symbol(qr_field: QrField) -> Image.Image:
    """The field's symbol without quiet zone, encoded independently of the code under test."""
    code = qrcode.QRCode(error_correction=_LEVELS[qr_field.level], border=0)
    code.add_data(QRData(qr_field.data.encode("utf-8"), mode=MODE_8BIT_BYTE))
    code.make(fit=True)
    matrix = code.get_matrix()
    modules = Image.frombytes(
        "L", (len(matrix), len(matrix)), bytes(0 if dark else 255 for row in matrix for dark in row)
    )
    side = len(matrix) * qr_field.magnification
    return modules.resize((side, side), Image.Resampling.NEAREST)


def _unescape(data: str, indicator: str) -> str:
    out = bytearray()
    index = 0
    while index < len(data):
        if data[index] == indicator:
            out.append(int(data[index + 1 : index + 3], 16))
            index += 3
        else:
            out.extend(data[index].encode("ascii"))
            index += 1
    return out.decode("utf-8")
