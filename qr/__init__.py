"""Label generation: GS1 Digital Link URIs, label layouts, PNG / PDF / ZPL files.

Typical use by the backend::

    from qr import LabelData, build_uri, render_labels

    uri = build_uri(settings.public_base_url, gtin=product.gtin, lot=lot.code, serial=serial)
    label = LabelData(uri=uri, product_name_vi=product.name_vi, lot_code=lot.code, ...)
    rendered = render_labels([label], layout="thermal-50x30", fmt="pdf")

and by the consumer resolver: ``parse_uri(request.url.path)``.
"""

from qr.errors import LabelError
from qr.gtin import normalize_gtin
from qr.layouts import LAYOUTS, get_layout
from qr.model import LabelData
from qr.render import FORMATS, MAX_LABELS_PER_FILE, RenderedFile, render_labels
from qr.uri import DigitalLink, build_uri, parse_uri

__all__ = [
    "FORMATS",
    "LAYOUTS",
    "MAX_LABELS_PER_FILE",
    "DigitalLink",
    "LabelData",
    "LabelError",
    "RenderedFile",
    "build_uri",
    "get_layout",
    "normalize_gtin",
    "parse_uri",
    "render_labels",
]
