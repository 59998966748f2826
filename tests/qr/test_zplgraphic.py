from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from qr.render.zplgraphic import compress_row, graphic_field, repeat_code
from tests.qr.zpl_raster import decode_graphic


@pytest.mark.parametrize(
    ("count", "code"),
    [(1, "G"), (2, "H"), (19, "Y"), (20, "g"), (40, "h"), (45, "hK"), (400, "z"), (419, "zY")],
)
def test_repeat_codes_follow_the_zpl_manual(count: int, code: str) -> None:
    assert repeat_code(count) == code


@pytest.mark.parametrize(
    ("row", "compressed"),
    [
        ("0000", ","),
        ("FFFF", "!"),
        ("FFFF0000", "JF,"),
        ("0F0F", "0F0!"),
        ("0F0E", "0F0E"),
        ("A" * 45 + "0", "hKA,"),
        ("1" + "0" * 10, "1,"),
        ("7" * 500, "zY7jG7"),  # 419 + 81
    ],
)
def test_rows_compress_to_the_expected_text(row: str, compressed: str) -> None:
    assert compress_row(row) == compressed


def test_repeated_rows_use_the_colon() -> None:
    image = Image.new("1", (16, 3), 255)
    image.putpixel((0, 0), 0)
    image.putpixel((0, 1), 0)
    field = graphic_field(image)
    assert (field.bytes_per_row, field.total_bytes) == (2, 6)
    assert field.data == "8,:,"
    assert field.command() == "^GFA,6,6,2,8,:,"


def test_graphic_needs_one_bit_and_whole_bytes() -> None:
    with pytest.raises(ValueError, match="1-bit"):
        graphic_field(Image.new("L", (8, 1)))
    with pytest.raises(ValueError, match="multiple of 8"):
        graphic_field(Image.new("1", (10, 1)))


@settings(max_examples=60)
@given(
    width_bytes=st.integers(1, 40),
    height=st.integers(1, 12),
    data=st.data(),
)
def test_compressed_graphics_decode_back_to_the_image(
    width_bytes: int, height: int, data: st.DataObject
) -> None:
    # Long runs, blank rows and repeats are what labels are made of; mix them in.
    pool = st.sampled_from([0x00, 0xFF, 0x0F, 0x81]) | st.integers(0, 255)
    raw = bytes(
        data.draw(st.lists(pool, min_size=width_bytes * height, max_size=width_bytes * height))
    )
    if height > 2 and data.draw(st.booleans()):
        raw = raw[:width_bytes] * 2 + raw[2 * width_bytes :]
    image = Image.frombytes("1", (width_bytes * 8, height), raw)
    field = graphic_field(image)
    decoded = decode_graphic(field.data, field.bytes_per_row, field.total_bytes)
    assert decoded.tobytes() == image.tobytes()
