"""The Đồng Tháp demo: real places and produce, whole journeys, anchored, with sign-ins.

``load_demo(runtime)`` is what ``sentrace serve --demo`` (``make run``) and ``sentrace demo``
call. Everything goes through the same services as the API and the operator app, so the demo
obeys every rule real data does and its events hash and anchor like any others.

Idempotent: each organisation, user, farm and product is created only if its code is absent,
and each lot's whole journey is one transaction keyed by its lot code, so running the demo again
keeps what is there and adds nothing twice. Demo sign-ins have published passwords: loading the
demo is refused in production.

The cast: a Cát Chu mango cooperative in Mỹ Xương, a pink-mandarin cooperative in Long Hậu (Lai
Vung), a lotus cooperative in Mỹ Hòa (Tháp Mười), a rice cooperative in Phú Cường (Tam Nông), a
packing house in Sa Đéc, a fresh-produce shop in Hồ Chí Minh City and the provincial quality
office; the journeys include inputs with pre-harvest intervals, quality checks, hand-overs,
packing, a split into pallets, shipping, retail, consumer scans and one recall.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from backend.chain import ChainError
from backend.config import Environment
from backend.db import session_scope
from backend.errors import ServiceUnavailable
from backend.models import (
    EventType,
    Farm,
    LabelSerial,
    Lot,
    Organisation,
    OrgRole,
    Product,
    Scan,
    User,
)
from backend.runtime import Runtime
from backend.services.accounts.orgs import create_organisation, ensure_admin_org, get_org_by_slug
from backend.services.accounts.server_secret import resolve_secret
from backend.services.accounts.users import create_user
from backend.services.catalog import farms, products
from backend.services.labels import printing as labels
from backend.services.labels.scans import ClientKind, client_digest, digest_key, record_scan
from backend.services.ledger import custody, events, lots, recall, split_merge
from backend.services.ledger.queries import get_lot_by_code
from backend.timeutil import VIETNAM_TZ, as_utc, in_vietnam, utcnow
from qr import render_labels
from qr.gtin import vietnam_gtin

logger = logging.getLogger(__name__)

#: A GS1 Vietnam (893) company prefix for the demo products; check digits are computed.
DEMO_COMPANY_PREFIX = "8936091"
LABEL_SHEET_LOT = "XOAI-2606-01-P1"
LABEL_SHEET_COUNT = 24


class DemoRefused(RuntimeError):
    """Raised when the demo (with its published passwords) would be loaded in production."""


@dataclass(frozen=True)
class DemoOrg:
    """An organisation of the demo and its one sign-in."""

    slug: str
    name: str
    role: OrgRole
    username: str
    password: str
    display_name: str


ORGS: tuple[DemoOrg, ...] = (
    DemoOrg(
        "htx-xoai-my-xuong",
        "HTX Xoài cát Chu Mỹ Xương",
        OrgRole.COOPERATIVE,
        "xoai",
        "demo-xoai-2026",
        "Lê Văn Hai",
    ),
    DemoOrg(
        "htx-quyt-hong-long-hau",
        "HTX Quýt hồng Long Hậu",
        OrgRole.COOPERATIVE,
        "quyt",
        "demo-quyt-2026",
        "Nguyễn Thị Tư",
    ),
    DemoOrg(
        "htx-sen-thap-muoi",
        "HTX Sen Tháp Mười",
        OrgRole.COOPERATIVE,
        "sen",
        "demo-sen-2026",
        "Trần Văn Sáu",
    ),
    DemoOrg(
        "htx-lua-phu-cuong",
        "HTX Nông nghiệp Phú Cường",
        OrgRole.COOPERATIVE,
        "lua",
        "demo-lua-2026",
        "Phạm Văn Bảy",
    ),
    DemoOrg(
        "sadec-packhouse",
        "Nhà đóng gói nông sản Sa Đéc",
        OrgRole.PACKER,
        "donggoi",
        "demo-donggoi-2026",
        "Võ Thị Mai",
    ),
    DemoOrg(
        "hcm-nong-san-sach",
        "Cửa hàng Nông sản Sạch Quận 3, TP. Hồ Chí Minh",
        OrgRole.RETAILER,
        "banle",
        "demo-banle-2026",
        "Đặng Thu Hà",
    ),
    DemoOrg(
        "dt-chi-cuc-qlcl",
        "Chi cục Quản lý chất lượng Nông lâm sản và Thủy sản Đồng Tháp",
        OrgRole.REGULATOR,
        "chicuc",
        "demo-chicuc-2026",
        "Huỳnh Minh Khoa",
    ),
)
ADMIN_LOGIN = ("quantri", "demo-quantri-2026")


@dataclass(frozen=True)
class DemoFarm:
    org: str
    code: str
    name: str
    commune: str
    lat: str
    lon: str
    area_ha: str
    growing_area_code: str
    certifications: tuple[dict[str, str], ...] = ()


FARMS: tuple[DemoFarm, ...] = (
    DemoFarm(
        "htx-xoai-my-xuong",
        "MX-XOAI-03",
        "Vườn xoài tổ hợp tác số 3, ấp Mỹ Thới",
        "Mỹ Xương",
        "10.3942",
        "105.7268",
        "4.2",
        "VN-DTCL-0103",
        (
            {
                "scheme": "VietGAP",
                "number": "VietGAP-TT-21-07-87-0042",
                "valid_from": "2025-03-01",
                "valid_until": "2028-02-29",
            },
        ),
    ),
    DemoFarm(
        "htx-quyt-hong-long-hau",
        "LH-QUYT-01",
        "Vườn quýt hồng ông Tư, ấp Long Thành",
        "Long Hậu",
        "10.2803",
        "105.6512",
        "2.8",
        "VN-DTLV-0021",
        (
            {
                "scheme": "VietGAP",
                "number": "VietGAP-TT-22-11-87-0108",
                "valid_from": "2025-06-15",
                "valid_until": "2028-06-14",
            },
        ),
    ),
    DemoFarm(
        "htx-sen-thap-muoi",
        "TM-SEN-05",
        "Đầm sen Mỹ Hòa, kênh Nguyễn Văn Tiếp",
        "Mỹ Hòa",
        "10.5521",
        "105.8347",
        "12.5",
        "VN-DTTM-0005",
    ),
    DemoFarm(
        "htx-lua-phu-cuong",
        "PC-LUA-12",
        "Cánh đồng lớn Phú Cường, lô 12",
        "Phú Cường",
        "10.7012",
        "105.5419",
        "35",
        "VN-DTTN-0012",
        (
            {
                "scheme": "GlobalGAP",
                "number": "GGN-4063061874512",
                "valid_from": "2025-09-01",
                "valid_until": "2026-08-31",
            },
        ),
    ),
)


@dataclass(frozen=True)
class DemoProduct:
    code: str
    name_vi: str
    name_en: str
    item_reference: int | None  # None: no GTIN, labels use the /l/ link


PRODUCTS: tuple[DemoProduct, ...] = (
    DemoProduct("xoai-cat-chu", "Xoài cát Chu Cao Lãnh", "Cat Chu mango from Cao Lanh", 1),
    DemoProduct("quyt-hong-lai-vung", "Quýt hồng Lai Vung", "Lai Vung pink mandarin", 2),
    DemoProduct("hat-sen-thap-muoi", "Hạt sen tươi Tháp Mười", "Thap Muoi fresh lotus seeds", None),
    DemoProduct("gao-thom-phu-cuong", "Gạo thơm Đài Thơm 8", "Dai Thom 8 fragrant rice", 4),
)


def product_gtin(product: DemoProduct) -> str | None:
    """The product's GTIN-14 under the demo company prefix (valid check digit), if it has one."""
    if product.item_reference is None:
        return None
    return vietnam_gtin(DEMO_COMPANY_PREFIX, product.item_reference)


# --------------------------------------------------------------------------- journeys


@dataclass
class Journey:
    """What a lot's story needs: the session, the organisations by slug, settings, a clock."""

    session: Session
    orgs: dict[str, Organisation]
    runtime: Runtime
    now: datetime

    def at(self, days_ago: float, hour: int = 7) -> datetime:
        """A time ``days_ago`` days back, at ``hour`` o'clock in Đồng Tháp (UTC+7)."""
        local_day = in_vietnam(self.now - timedelta(days=days_ago)).date()
        local = datetime.combine(local_day, time(hour=hour), tzinfo=VIETNAM_TZ)
        return min(as_utc(local), self.now - timedelta(minutes=10))

    def harvest(self, org: str, **kwargs: Any) -> Lot:
        lot, _ = lots.create_harvest_lot(
            self.session, org=self.orgs[org], settings=self.runtime.settings, **kwargs
        )
        return lot

    def record(self, org: str, lot_code: str, kind: EventType, when: datetime, **data: Any) -> None:
        events.add_lot_event(
            self.session,
            lot_code=lot_code,
            org=self.orgs[org],
            event_type=kind.value,
            occurred_at=when,
            location=None,
            data=data,
            settings=self.runtime.settings,
        )

    def transfer(self, org: str, lot_code: str, to: str, when: datetime, note: str) -> None:
        custody.transfer_lot(
            self.session,
            lot_code=lot_code,
            org=self.orgs[org],
            to_slug=to,
            occurred_at=when,
            note=note,
            settings=self.runtime.settings,
        )

    def split(self, org: str, lot_code: str, parts: list[tuple[str, str]], when: datetime) -> None:
        split_merge.split_lot(
            self.session,
            lot_code=lot_code,
            org=self.orgs[org],
            children=[{"code": code, "quantity": quantity} for code, quantity in parts],
            occurred_at=when,
            settings=self.runtime.settings,
        )


XOAI = "htx-xoai-my-xuong"
QUYT = "htx-quyt-hong-long-hau"
SEN = "htx-sen-thap-muoi"
LUA = "htx-lua-phu-cuong"
PACKER = "sadec-packhouse"
SHOP = "hcm-nong-san-sach"
REGULATOR = "dt-chi-cuc-qlcl"


def mango_journey(j: Journey) -> None:
    """Sprays with their intervals, harvest, check, hand-over, packing, pallets, shipping, sale."""
    code = "XOAI-2606-01"
    j.harvest(
        XOAI,
        code=code,
        product_code="xoai-cat-chu",
        farm_code="MX-XOAI-03",
        quantity="1200",
        unit="kg",
        harvested_at=j.at(9, 6),
    )
    j.record(
        XOAI,
        code,
        EventType.INPUT_APPLICATION,
        j.at(30, 16),
        product="Anvil 5SC",
        active_ingredient="Hexaconazole",
        dose="20",
        unit="ml/bình 16 lít",
        pre_harvest_interval_days=7,
        note="Phòng bệnh thán thư giai đoạn trái non",
    )
    j.record(
        XOAI,
        code,
        EventType.INPUT_APPLICATION,
        j.at(21, 6),
        product="Kali trắng (KCl)",
        active_ingredient="K2O 60%",
        dose="0.5",
        unit="kg/gốc",
        pre_harvest_interval_days=0,
    )
    j.record(
        XOAI,
        code,
        EventType.QUALITY_CHECK,
        j.at(9, 10),
        result="pass",
        inspector="Tổ kiểm soát nội bộ HTX",
        method="Cảm quan, độ Brix",
        brix="17.5",
    )
    j.transfer(XOAI, code, PACKER, j.at(8, 8), "Giao 120 sọt tại nhà đóng gói Sa Đéc")
    j.record(PACKER, code, EventType.RECEIVING, j.at(8, 11), condition="good", temperature_c="24")
    j.record(
        PACKER,
        code,
        EventType.PACKING,
        j.at(7, 9),
        package="thùng carton 10 kg",
        package_count=118,
        packing_house="Nhà đóng gói nông sản Sa Đéc",
        note="Phân loại loại 1, xử lý nước nóng 48 °C",
    )
    j.split(PACKER, code, [(f"{code}-P{n}", "295") for n in range(1, 5)], j.at(7, 14))
    pallet = f"{code}-P1"
    labels.allocate_serials(j.session, lot=_lot(j, pallet), org=j.orgs[PACKER], count=24)
    j.record(
        PACKER,
        pallet,
        EventType.SHIPPING,
        j.at(6, 5),
        destination="TP. Hồ Chí Minh",
        carrier="Xe lạnh Sa Đéc – Sài Gòn",
        vehicle="66C-123.45",
        temperature_c="12",
    )
    j.transfer(PACKER, pallet, SHOP, j.at(6, 5), "Pallet 1: 29 thùng + hàng lẻ")
    j.record(SHOP, pallet, EventType.RECEIVING, j.at(5, 6), condition="good", temperature_c="13")
    j.record(SHOP, pallet, EventType.RETAIL, j.at(5, 9), shelf="Quầy trái cây Đồng Tháp")


def mandarin_journey(j: Journey) -> None:
    """Pink mandarins for Tết: spray, harvest, check, packing, split, shipping to the shop."""
    code = "QUYT-2606-01"
    j.harvest(
        QUYT,
        code=code,
        product_code="quyt-hong-lai-vung",
        farm_code="LH-QUYT-01",
        quantity="800",
        unit="kg",
        harvested_at=j.at(6, 7),
    )
    j.record(
        QUYT,
        code,
        EventType.INPUT_APPLICATION,
        j.at(20, 16),
        product="Radiant 60SC",
        active_ingredient="Spinetoram",
        dose="15",
        unit="ml/bình 16 lít",
        pre_harvest_interval_days=7,
        note="Trừ bọ trĩ trên trái",
    )
    j.record(
        QUYT,
        code,
        EventType.QUALITY_CHECK,
        j.at(6, 11),
        result="pass",
        brix="12.8",
        inspector="Tổ kiểm soát nội bộ HTX",
    )
    j.transfer(QUYT, code, PACKER, j.at(5, 8), "Giao 40 sọt quýt loại 1")
    j.record(PACKER, code, EventType.RECEIVING, j.at(5, 10), condition="good")
    j.record(PACKER, code, EventType.PACKING, j.at(4, 9), package="hộp quà 2 kg", package_count=390)
    j.split(PACKER, code, [(f"{code}-A", "400"), (f"{code}-B", "380")], j.at(4, 15))
    part = f"{code}-A"
    labels.allocate_serials(j.session, lot=_lot(j, part), org=j.orgs[PACKER], count=12)
    j.record(
        PACKER,
        part,
        EventType.SHIPPING,
        j.at(3, 5),
        destination="TP. Hồ Chí Minh",
        carrier="Xe tải Lai Vung",
        vehicle="66H-045.67",
    )
    j.transfer(PACKER, part, SHOP, j.at(3, 5), "200 hộp quà Tết")
    j.record(SHOP, part, EventType.RECEIVING, j.at(2, 7), condition="good")


def lotus_journey(j: Journey) -> None:
    """Fresh lotus seeds: harvest, shelling and chilling, check, packing at Sa Đéc."""
    code = "SEN-2606-01"
    j.harvest(
        SEN,
        code=code,
        product_code="hat-sen-thap-muoi",
        farm_code="TM-SEN-05",
        quantity="350",
        unit="kg",
        harvested_at=j.at(3, 5),
    )
    j.record(SEN, code, EventType.PROCESSING, j.at(3, 9), step="Tách vỏ, lột màng, làm lạnh 4 °C")
    j.record(
        SEN,
        code,
        EventType.QUALITY_CHECK,
        j.at(3, 13),
        result="pass",
        method="Kiểm tra vi sinh nhanh",
        inspector="Phòng thử nghiệm HTX",
    )
    j.transfer(SEN, code, PACKER, j.at(2, 8), "Thùng giữ lạnh, 35 túi 10 kg")
    j.record(PACKER, code, EventType.RECEIVING, j.at(2, 10), condition="good", temperature_c="5")
    j.record(
        PACKER,
        code,
        EventType.PACKING,
        j.at(2, 14),
        package="khay 500 g hút chân không",
        package_count=690,
    )
    labels.allocate_serials(j.session, lot=_lot(j, code), org=j.orgs[PACKER], count=6)


def rice_journey(j: Journey) -> None:
    """A rice harvest checked and handed to the packing house for milling."""
    code = "LUA-2606-01"
    j.harvest(
        LUA,
        code=code,
        product_code="gao-thom-phu-cuong",
        farm_code="PC-LUA-12",
        quantity="12.5",
        unit="tấn",
        harvested_at=j.at(12, 6),
    )
    j.record(
        LUA,
        code,
        EventType.QUALITY_CHECK,
        j.at(11, 9),
        result="pass",
        moisture_percent="14.2",
        method="Độ ẩm, tạp chất",
    )
    j.transfer(LUA, code, PACKER, j.at(10, 8), "Lúa khô, 250 bao 50 kg")
    j.record(PACKER, code, EventType.PROCESSING, j.at(9, 8), step="Xay xát, lau bóng")


def recalled_journey(j: Journey) -> None:
    """A mandarin lot whose residue test failed: the quality office recalls it."""
    code = "QUYT-2606-02"
    j.harvest(
        QUYT,
        code=code,
        product_code="quyt-hong-lai-vung",
        farm_code="LH-QUYT-01",
        quantity="300",
        unit="kg",
        harvested_at=j.at(5, 7),
    )
    j.record(
        QUYT,
        code,
        EventType.QUALITY_CHECK,
        j.at(4, 10),
        result="fail",
        method="Phân tích dư lượng (LC-MS/MS)",
        note="Carbendazim 0,35 mg/kg, vượt giới hạn tối đa",
    )
    recall.recall_lot(
        j.session,
        lot_code=code,
        org=j.orgs[REGULATOR],
        reason=(
            "Phát hiện dư lượng Carbendazim 0,35 mg/kg, vượt mức giới hạn tối đa cho phép "
            "(mẫu kiểm tra số 112/QLCL-2026). Không tiêu thụ, trả lại nơi mua."
        ),
        occurred_at=j.at(3, 15),
        settings=j.runtime.settings,
    )


JOURNEYS: tuple[tuple[str, Callable[[Journey], None]], ...] = (
    ("XOAI-2606-01", mango_journey),
    ("QUYT-2606-01", mandarin_journey),
    ("SEN-2606-01", lotus_journey),
    ("LUA-2606-01", rice_journey),
    ("QUYT-2606-02", recalled_journey),
)

#: Consumer scans to show on the dashboard: (lot, serial numbers, scans of each).
SCANS: tuple[tuple[str, int, int], ...] = (
    ("XOAI-2606-01-P1", 9, 2),
    ("QUYT-2606-01-A", 6, 1),
    ("SEN-2606-01", 3, 1),
)


def _lot(j: Journey, code: str) -> Lot:
    lot = get_lot_by_code(j.session, code)
    assert lot is not None, code
    return lot


# --------------------------------------------------------------------------- loading


def _orgs_and_users(session: Session) -> None:
    for org in ORGS:
        if get_org_by_slug(session, org.slug) is None:
            create_organisation(session, slug=org.slug, name=org.name, role=org.role)
            create_user(
                session,
                org_slug=org.slug,
                username=org.username,
                password=org.password,
                display_name=org.display_name,
            )
    admin = ensure_admin_org(session)
    if session.exec(select(User).where(User.username == ADMIN_LOGIN[0])).first() is None:
        create_user(
            session,
            org_slug=admin.slug,
            username=ADMIN_LOGIN[0],
            password=ADMIN_LOGIN[1],
            display_name="Quản trị SenTrace",
        )


def _farms_and_products(session: Session) -> None:
    for farm in FARMS:
        if farms.get_farm_by_code(session, farm.code) is None:
            org = get_org_by_slug(session, farm.org)
            assert org is not None
            farms.create_farm(
                session,
                org=org,
                code=farm.code,
                name=farm.name,
                commune=farm.commune,
                lat=farm.lat,
                lon=farm.lon,
                area_ha=farm.area_ha,
                growing_area_code=farm.growing_area_code,
                certifications=list(farm.certifications),
            )
    registrar = get_org_by_slug(session, XOAI)
    assert registrar is not None
    for product in PRODUCTS:
        if products.get_product_by_code(session, product.code) is None:
            products.create_product(
                session,
                org=registrar,
                code=product.code,
                name_vi=product.name_vi,
                name_en=product.name_en,
                gtin=product_gtin(product),
            )


def _journeys(runtime: Runtime) -> int:
    """Record each lot's journey in its own transaction, skipping those already there."""
    made = 0
    for code, journey in JOURNEYS:
        with session_scope(runtime.engine) as session:
            if get_lot_by_code(session, code) is not None:
                continue
            orgs = {o.slug: o for o in session.exec(select(Organisation))}
            journey(Journey(session=session, orgs=orgs, runtime=runtime, now=utcnow()))
            made += 1
    return made


def _scans(runtime: Runtime) -> None:
    """A few consumer scans of printed serials, once, so the dashboard chart has data."""
    key = digest_key(resolve_secret(runtime.settings))
    with session_scope(runtime.engine) as session:
        for code, serial_count, per_serial in SCANS:
            lot = get_lot_by_code(session, code)
            if lot is None or session.exec(select(Scan).where(Scan.lot_id == lot.id)).first():
                continue
            assert lot.id is not None
            serials = session.exec(
                select(LabelSerial.serial)
                .where(LabelSerial.lot_id == lot.id)
                .order_by(col(LabelSerial.serial))
                .limit(serial_count)
            ).all()
            for index, serial in enumerate(serials):
                for repeat in range(per_serial):
                    address = f"198.51.100.{(index * 7 + repeat * 3) % 250 + 1}"
                    record_scan(
                        session,
                        lot_id=lot.id,
                        serial=serial,
                        client_kind=ClientKind.MOBILE,
                        client_digest=client_digest(address, key=key),
                        at=utcnow() - timedelta(hours=6 * index + repeat + 1),
                    )


def label_sheet_path(runtime: Runtime) -> Path:
    return Path(runtime.settings.data_dir) / f"demo-labels-{LABEL_SHEET_LOT}.pdf"


def write_label_sheet(runtime: Runtime) -> Path | None:
    """An A4 sheet of the pallet's serialised labels, as printed at Sa Đéc, to scan on screen."""
    path = label_sheet_path(runtime)
    if path.exists():
        return path
    with Session(runtime.engine) as session:
        lot = get_lot_by_code(session, LABEL_SHEET_LOT)
        if lot is None:
            return None
        product = session.get(Product, lot.product_id)
        farm = session.get(Farm, lot.farm_id) if lot.farm_id is not None else None
        assert product is not None
        serials = session.exec(
            select(LabelSerial.serial)
            .where(LabelSerial.lot_id == lot.id)
            .order_by(col(LabelSerial.serial))
            .limit(LABEL_SHEET_COUNT)
        ).all()
        sheet = [
            labels.label_data(
                lot=lot,
                product=product,
                farm=farm,
                serial=serial,
                base_url=runtime.settings.public_base_url,
            )
            for serial in serials
        ]
    rendered = render_labels(sheet, layout="a4", fmt="pdf")
    partial = path.with_suffix(".pdf.part")
    partial.write_bytes(rendered.content)
    partial.replace(path)
    return path


def anchor_everything(runtime: Runtime) -> bool:
    """Anchor what is pending now (the worker would, but the demo should read ``verified``)."""
    try:
        for _ in range(20):
            report = runtime.anchoring.run_once(force=True, wait=True)
            if not report.more_work:
                return True
    except (ChainError, ServiceUnavailable) as exc:  # the server must still start
        logger.warning("demo data not anchored yet (%s); the worker will retry", exc)
        return False
    return True


def load_demo(runtime: Runtime, *, anchor: bool = True, announce: bool = True) -> None:
    """Load the demo data set into ``runtime`` (idempotent) and print where to sign in."""
    if runtime.settings.env is Environment.PRODUCTION:
        raise DemoRefused(
            "Dữ liệu mẫu có mật khẩu công khai: không nạp trong môi trường production / "
            "the demo has published passwords and is refused in production"
        )
    with session_scope(runtime.engine) as session:
        _orgs_and_users(session)
        _farms_and_products(session)
    made = _journeys(runtime)
    _scans(runtime)
    sheet = write_label_sheet(runtime)
    anchored = anchor_everything(runtime) if anchor and runtime.chain is not None else False
    logger.info("demo loaded: %d new journeys, anchored=%s", made, anchored)
    if announce:
        print(demo_banner(runtime, sheet), flush=True)


def demo_banner(runtime: Runtime, sheet: Path | None) -> str:
    """The start-up text: where the app is, who can sign in, where the label sheet is."""
    base = runtime.settings.public_base_url
    lines = [
        "",
        "SenTrace — dữ liệu mẫu Đồng Tháp / Đồng Tháp demo",
        f"  Ứng dụng vận hành / operator app:  {base}/app/login",
        f"  Trang người tiêu dùng / consumer:   {base}/l/{LABEL_SHEET_LOT}",
        f"  Lô bị thu hồi / recalled lot:       {base}/l/QUYT-2606-02",
        f"  API:                                {base}/docs",
        "",
        "  Đăng nhập mẫu / demo sign-ins (tên đăng nhập / mật khẩu):",
    ]
    for org in ORGS:
        login = f"{org.username} / {org.password}"
        lines.append(f"    {login:<28} {org.name}")
    admin = f"{ADMIN_LOGIN[0]} / {ADMIN_LOGIN[1]}"
    lines.append(f"    {admin:<28} Quản trị hệ thống / platform admin")
    if sheet is not None:
        lines += ["", f"  Tờ tem QR mẫu / printed label sheet: {sheet}"]
    lines.append("")
    return "\n".join(lines)
