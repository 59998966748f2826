"""Reading generated labels back: QR decoding, PDF rasterising, sample data."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pypdfium2 as pdfium
import zxingcpp
from PIL import Image

from qr.layouts import dots_per_mm
from qr.model import LabelData
from qr.uri import build_uri

BASE_URL = "https://truyxuat.sentrace.vn"
GTIN = "8935049500018"
LOT = "XC-2026-0042"
POINTS_PER_MM = 72 / 25.4
_QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def sample_labels(count: int, *, serials: bool = True, gtin: str | None = GTIN) -> list[LabelData]:
    """A run of Cát Chu mango labels, one serial each (or none)."""
    labels = []
    for number in range(1, count + 1):
        serial = f"{number:06d}" if serials else None
        labels.append(
            LabelData(
                uri=build_uri(BASE_URL, gtin=gtin, lot=LOT, serial=serial),
                product_name_vi="Xoài cát Chu",
                product_name_en="Cat Chu mango",
                lot_code=LOT,
                harvest_date=date(2026, 5, 12),
                commune="Xã Mỹ Xương",
                serial=serial,
            )
        )
    return labels


def decode_qr_codes(image: Image.Image) -> list[str]:
    """Texts of every QR code zxing-cpp finds, in no particular order."""
    results = zxingcpp.read_barcodes(image.convert("L"), formats=_QR_ONLY)
    return [result.text for result in results if result.valid]


def decode_one(image: Image.Image) -> zxingcpp.Barcode:
    results = zxingcpp.read_barcodes(image.convert("L"), formats=_QR_ONLY)
    assert len(results) == 1, f"expected one QR code, found {len(results)}"
    return results[0]


def pdf_pages(content: bytes, dpi: int) -> list[tuple[tuple[float, float], Image.Image]]:
    """Each page's size in mm and its raster on the printer's own dot grid (pypdfium2)."""
    document = pdfium.PdfDocument(content)
    scale = dots_per_mm(dpi) / POINTS_PER_MM
    pages = []
    for page in document:
        width_pt, height_pt = page.get_size()
        image = page.render(scale=scale, grayscale=True).to_pil()
        pages.append(((width_pt / POINTS_PER_MM, height_pt / POINTS_PER_MM), image))
    document.close()
    return pages


def zip_members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def ink_bbox(image: Image.Image) -> tuple[int, int, int, int] | None:
    """Bounding box of every non-white pixel."""
    return image.convert("L").point(lambda value: 255 if value < 255 else 0).getbbox()
