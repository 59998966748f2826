"""The Đồng Tháp demo data set: its cast, its lots' journeys, and loading them with sign-ins.
Top layer: may import services, runtime, db, models and qr; never api/ or web/.

``load_demo(runtime)`` is what ``sentrace serve --demo`` (``make run``) and ``sentrace demo``
call. Everything goes through the same services as the API and the operator app, so the demo
obeys every rule real data does and its events hash and anchor like any others.

- :mod:`.cast`: who and what exists (organisations and sign-ins, farms, products).
- :mod:`.steps` and :mod:`.journeys`: what happened to the lots, as data walked by one function.
- :mod:`.labels`: consumer scans of the printed serials and the A4 label sheet.
- :mod:`.loader`: the entry point, anchoring and the start-up banner.

The cast: a Cát Chu mango cooperative in Mỹ Xương, a pink-mandarin cooperative in Long Hậu (Lai
Vung), a lotus cooperative in Mỹ Hòa (Tháp Mười), a rice cooperative in Phú Cường (Tam Nông), a
packing house in Sa Đéc, a fresh-produce shop in Hồ Chí Minh City and the provincial quality
office; the journeys include inputs with pre-harvest intervals, quality checks, hand-overs,
packing, a split into pallets, shipping, retail, consumer scans and one recall.
"""

from backend.demo.cast import (
    ADMIN_LOGIN,
    DEMO_COMPANY_PREFIX,
    FARMS,
    ORGS,
    PRODUCTS,
    DemoFarm,
    DemoOrg,
    DemoProduct,
    product_gtin,
)
from backend.demo.journeys import JOURNEYS
from backend.demo.labels import (
    LABEL_SHEET_COUNT,
    LABEL_SHEET_LOT,
    SCANS,
    label_sheet_path,
    write_label_sheet,
)
from backend.demo.loader import DemoRefused, anchor_everything, demo_banner, load_demo
from backend.demo.steps import Journey

__all__ = [
    "ADMIN_LOGIN",
    "DEMO_COMPANY_PREFIX",
    "FARMS",
    "JOURNEYS",
    "LABEL_SHEET_COUNT",
    "LABEL_SHEET_LOT",
    "ORGS",
    "PRODUCTS",
    "SCANS",
    "DemoFarm",
    "DemoOrg",
    "DemoProduct",
    "DemoRefused",
    "Journey",
    "anchor_everything",
    "demo_banner",
    "label_sheet_path",
    "load_demo",
    "product_gtin",
    "write_label_sheet",
]
