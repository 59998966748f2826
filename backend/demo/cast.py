"""Who and what exists in the demo: organisations with their sign-ins, farms and products.

The cast is data; :func:`ensure_cast` creates whatever of it is absent (keyed by slug, username
and code), so loading the demo again keeps what is there and adds nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from backend.models import Organisation, OrgRole, User
from backend.services.accounts.orgs import create_organisation, ensure_admin_org, get_org_by_slug
from backend.services.accounts.users import create_user
from backend.services.catalog import farms, gs1_prefixes, products
from qr.gtin import vietnam_gtin

#: A GS1 Vietnam (893) company prefix for the demo products; check digits are computed.
DEMO_COMPANY_PREFIX = "8936091"
DEMO_GS1_LICENCE = "GS1 Việt Nam, giấy chứng nhận mẫu DEMO-8936091"

XOAI = "htx-xoai-my-xuong"
QUYT = "htx-quyt-hong-long-hau"
SEN = "htx-sen-thap-muoi"
LUA = "htx-lua-phu-cuong"
PACKER = "sadec-packhouse"
SHOP = "hcm-nong-san-sach"
REGULATOR = "dt-chi-cuc-qlcl"


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
        XOAI,
        "HTX Xoài cát Chu Mỹ Xương",
        OrgRole.COOPERATIVE,
        "xoai",
        "demo-xoai-2026",
        "Lê Văn Hai",
    ),
    DemoOrg(
        QUYT,
        "HTX Quýt hồng Long Hậu",
        OrgRole.COOPERATIVE,
        "quyt",
        "demo-quyt-2026",
        "Nguyễn Thị Tư",
    ),
    DemoOrg(SEN, "HTX Sen Tháp Mười", OrgRole.COOPERATIVE, "sen", "demo-sen-2026", "Trần Văn Sáu"),
    DemoOrg(
        LUA,
        "HTX Nông nghiệp Phú Cường",
        OrgRole.COOPERATIVE,
        "lua",
        "demo-lua-2026",
        "Phạm Văn Bảy",
    ),
    DemoOrg(
        PACKER,
        "Nhà đóng gói nông sản Sa Đéc",
        OrgRole.PACKER,
        "donggoi",
        "demo-donggoi-2026",
        "Võ Thị Mai",
    ),
    DemoOrg(
        SHOP,
        "Cửa hàng Nông sản Sạch Quận 3, TP. Hồ Chí Minh",
        OrgRole.RETAILER,
        "banle",
        "demo-banle-2026",
        "Đặng Thu Hà",
    ),
    DemoOrg(
        REGULATOR,
        "Chi cục Quản lý chất lượng Nông lâm sản và Thủy sản Đồng Tháp",
        OrgRole.REGULATOR,
        "chicuc",
        "demo-chicuc-2026",
        "Huỳnh Minh Khoa",
    ),
)
ADMIN_LOGIN = ("quantri", "demo-quantri-2026")
ADMIN_DISPLAY_NAME = "Quản trị SenTrace"


@dataclass(frozen=True)
class DemoFarm:
    """A farm of a demo cooperative, with the certificates its labels show."""

    org: str
    code: str
    name: str
    commune: str
    lat: str
    lon: str
    area_ha: str
    growing_area_code: str
    certifications: tuple[dict[str, str], ...] = ()


def _certificate(
    scheme: str, number: str, issuer: str, valid_from: str, valid_until: str
) -> dict[str, str]:
    return {
        "scheme": scheme,
        "number": number,
        "issuer": issuer,
        "valid_from": valid_from,
        "valid_until": valid_until,
    }


#: The certifying bodies the demo's certificates name.
QUACERT = "Trung tâm Chứng nhận Phù hợp (Quacert)"
CONTROL_UNION = "Control Union Việt Nam"
#: The certificate the quality office has checked with its issuer and confirms (the others stay
#: self-declared on the consumer page).
CONFIRMED_CERTIFICATE = ("MX-XOAI-03", "VietGAP", "VietGAP-TT-21-07-87-0042")


FARMS: tuple[DemoFarm, ...] = (
    DemoFarm(
        XOAI,
        "MX-XOAI-03",
        "Vườn xoài tổ hợp tác số 3, ấp Mỹ Thới",
        "Mỹ Xương",
        "10.3942",
        "105.7268",
        "4.2",
        "VN-DTCL-0103",
        (_certificate("VietGAP", "VietGAP-TT-21-07-87-0042", QUACERT, "2025-03-01", "2028-02-29"),),
    ),
    DemoFarm(
        QUYT,
        "LH-QUYT-01",
        "Vườn quýt hồng ông Tư, ấp Long Thành",
        "Long Hậu",
        "10.2803",
        "105.6512",
        "2.8",
        "VN-DTLV-0021",
        (_certificate("VietGAP", "VietGAP-TT-22-11-87-0108", QUACERT, "2025-06-15", "2028-06-14"),),
    ),
    DemoFarm(
        SEN,
        "TM-SEN-05",
        "Đầm sen Mỹ Hòa, kênh Nguyễn Văn Tiếp",
        "Mỹ Hòa",
        "10.5521",
        "105.8347",
        "12.5",
        "VN-DTTM-0005",
    ),
    DemoFarm(
        LUA,
        "PC-LUA-12",
        "Cánh đồng lớn Phú Cường, lô 12",
        "Phú Cường",
        "10.7012",
        "105.5419",
        "35",
        "VN-DTTN-0012",
        (
            _certificate(
                "GlobalGAP", "GGN-4063061874512", CONTROL_UNION, "2025-09-01", "2026-08-31"
            ),
        ),
    ),
)


@dataclass(frozen=True)
class DemoProduct:
    """A demo product; the mango cooperative registers them all."""

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
PRODUCT_REGISTRAR = XOAI


def product_gtin(product: DemoProduct) -> str | None:
    """The product's GTIN-14 under the demo company prefix (valid check digit), if it has one."""
    if product.item_reference is None:
        return None
    return vietnam_gtin(DEMO_COMPANY_PREFIX, product.item_reference)


def ensure_cast(session: Session) -> None:
    """Create the organisations, sign-ins, farms and products the database does not hold yet."""
    _orgs_and_users(session)
    for farm in FARMS:
        if farms.get_farm_by_code(session, farm.code) is None:
            _create_farm(session, farm)
    registrar = _org(session, PRODUCT_REGISTRAR)
    if not gs1_prefixes.prefixes_of(session, org=registrar):
        # The registrar holds the demo company prefix, as GS1 Vietnam would have licensed it.
        gs1_prefixes.register_prefix(
            session, org=registrar, prefix=DEMO_COMPANY_PREFIX, licence=DEMO_GS1_LICENCE
        )
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


def _org(session: Session, slug: str) -> Organisation:
    org = get_org_by_slug(session, slug)
    assert org is not None, slug
    return org


def _orgs_and_users(session: Session) -> None:
    for org in ORGS:
        if get_org_by_slug(session, org.slug) is None:
            # Their operators sign in the browser; the demo loader signs with its own
            # client-held keys (backend/demo/signing.py).
            create_organisation(
                session, slug=org.slug, name=org.name, role=org.role, key_custody="browser"
            )
            create_user(
                session,
                org_slug=org.slug,
                username=org.username,
                password=org.password,
                display_name=org.display_name,
            )
    admin = ensure_admin_org(session)
    username, password = ADMIN_LOGIN
    if session.exec(select(User).where(User.username == username)).first() is None:
        create_user(
            session,
            org_slug=admin.slug,
            username=username,
            password=password,
            display_name=ADMIN_DISPLAY_NAME,
        )


def _create_farm(session: Session, farm: DemoFarm) -> None:
    farms.create_farm(
        session,
        org=_org(session, farm.org),
        code=farm.code,
        name=farm.name,
        commune=farm.commune,
        lat=farm.lat,
        lon=farm.lon,
        area_ha=farm.area_ha,
        growing_area_code=farm.growing_area_code,
        certifications=list(farm.certifications),
    )
