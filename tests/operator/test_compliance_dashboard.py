"""The regulator's compliance dashboard: areas against caps, refused claims, overrides; CSV."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import select

from backend.db import session_scope
from backend.errors import InvalidInput
from backend.models import Farm, Organisation
from backend.runtime import Runtime
from backend.services.catalog.farms import create_farm
from backend.services.compliance import areas
from backend.services.ledger.lots import create_harvest_lot
from backend.timeutil import utcnow
from tests.operator.conftest import Cast, sign_in


def _org(session: object, slug: str) -> Organisation:
    return session.exec(select(Organisation).where(Organisation.slug == slug)).one()  # type: ignore[attr-defined]


def test_the_regulator_sees_areas_refused_claims_and_exports_them(
    runtime: Runtime, client_factory: Callable[[], TestClient], cast: Cast
) -> None:
    with session_scope(runtime.engine) as session:
        farm = session.exec(select(Farm).where(Farm.code == "MX-01")).one()
        farm.growing_area_code = "VN-DT-0001"
        session.add(farm)
        areas.register_area(
            session, org=_org(session, "chi-cuc"), code="VN-DT-0001", holder="htx-xoai-my-xuong",
            area_ha="0.1", crop="xoai-cat-chu", markets=["CN"], farms=["MX-01"],
            valid_from="2020-01-01",
        )  # fmt: skip
    with session_scope(runtime.engine) as session:
        coop = _org(session, "htx-xoai-my-xuong")
        create_farm(
            session, org=coop, code="MX-99", name="Vườn mượn mã", commune="Mỹ Xương",
            growing_area_code="VN-DT-0001",
        )  # fmt: skip
    with session_scope(runtime.engine) as session:
        try:
            create_harvest_lot(
                session, org=_org(session, "htx-xoai-my-xuong"), product_code="xoai-cat-chu",
                farm_code="MX-99", quantity="10", unit="kg", harvested_at=utcnow(),
                settings=runtime.settings,
            )  # fmt: skip
        except InvalidInput:
            session.rollback()
    regulator, coop_client = client_factory(), client_factory()
    sign_in(regulator, cast.regulator)
    page = regulator.get("/app/compliance", params={"lang": "vi"}).text
    assert "VN-DT-0001" in page and "1200 kg" in page and "(đã đủ)" in page  # 1200 of 1200
    assert "vườn không thuộc vùng" in page and "MX-99" in page
    csv = regulator.get("/app/compliance.csv")
    assert csv.status_code == 200
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert any(line.startswith("area,VN-DT-0001,HTX Xoài Mỹ Xương,xoai-cat-chu") for line in lines)
    assert any(
        line.startswith("refused_claim,VN-DT-0001,HTX Xoài Mỹ Xương,MX-99,not_member")
        for line in lines
    )
    sign_in(coop_client, cast.coop)
    assert coop_client.get("/app/compliance").status_code == 403


def test_the_lot_page_lists_the_circular_02_items(
    runtime: Runtime, client_factory: Callable[[], TestClient], cast: Cast
) -> None:
    coop = client_factory()
    sign_in(coop, cast.coop)
    page = coop.get(f"/app/lots/{cast.lot_code}", params={"lang": "vi"}).text
    assert "Thông tin theo Thông tư 02/2024/TT-BKHCN" in page
    assert "Tên sản phẩm: <strong>có</strong>" in page
    assert "Hạn sử dụng: <strong>thiếu</strong>" in page
