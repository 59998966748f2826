"""The operator pages over HTTP: forms, field errors, access between organisations, escaping."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.db import session_scope
from backend.models import Event, EventType, Lot, Organisation, User
from backend.runtime import Runtime
from backend.services.accounts.orgs import get_org_by_slug
from backend.services.catalog.farms import create_farm
from tests.operator.conftest import Cast, sign_in

ClientFactory = Callable[[], TestClient]


def _harvest_form(token: str, **overrides: str) -> dict[str, str]:
    form = {
        "csrf_token": token,
        "product": "xoai-cat-chu",
        "farm": "MX-01",
        "quantity": "850",
        "unit": "kg",
        "harvested_at": "2026-01-05T06:30",
        "code": "XOAI-T02",
    }
    form.update(overrides)
    return form


def test_cooperative_creates_a_harvest_lot(
    app_client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    token = sign_in(app_client, cast.coop)
    response = app_client.post("/app/lots/new", data=_harvest_form(token))
    assert response.status_code == 303
    assert response.headers["location"] == "/app/lots/XOAI-T02?ok=lot_created"
    page = app_client.get("/app/lots/XOAI-T02?ok=lot_created")
    assert page.status_code == 200
    assert "Đã tạo lô thu hoạch." in page.text
    assert "Thu hoạch" in page.text
    with Session(runtime.engine) as session:
        lot = session.exec(select(Lot).where(Lot.code == "XOAI-T02")).one()
        assert lot.quantity == "850"
        # 06:30 on the Đồng Tháp wall clock is 23:30 UTC the day before.
        assert lot.harvested_at is not None
        assert lot.harvested_at.strftime("%Y-%m-%d %H:%M") == "2026-01-04 23:30"


def test_field_errors_are_shown_per_field_and_keep_what_was_typed(
    app_client: TestClient, cast: Cast
) -> None:
    token = sign_in(app_client, cast.coop)
    response = app_client.post(
        "/app/lots/new", data=_harvest_form(token, quantity="mười hai", code="LO-GO-TAY")
    )
    assert response.status_code == 422
    text = response.text
    assert "Vui lòng nhập một số, ví dụ 1250 hoặc 12,5." in text
    assert 'value="mười hai"' in text  # the wrong value is shown back to be corrected
    assert 'value="LO-GO-TAY"' in text  # and the right ones are kept
    assert 'value="2026-01-05T06:30"' in text
    assert '<option value="MX-01" selected>' in text
    assert 'aria-invalid="true" aria-describedby="e-quantity"' in text


def test_field_errors_come_in_english_after_the_switch(app_client: TestClient, cast: Cast) -> None:
    token = sign_in(app_client, cast.coop)
    app_client.get("/app/?lang=en")
    response = app_client.post("/app/lots/new", data=_harvest_form(token, quantity="-3"))
    assert response.status_code == 422
    assert "Must be a number greater than 0." in response.text


def test_service_errors_land_on_their_field(app_client: TestClient, cast: Cast) -> None:
    token = sign_in(app_client, cast.coop)
    response = app_client.post("/app/lots/new", data=_harvest_form(token, code=cast.lot_code))
    assert response.status_code == 422
    assert re.search(r'id="e-code">Mã lô đã tồn tại<', response.text)
    assert f'value="{cast.lot_code}"' in response.text


def test_input_application_requires_its_fields_and_keeps_input(
    app_client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    token = sign_in(app_client, cast.coop)
    path = f"/app/lots/{cast.lot_code}/record/input_application"
    form = {
        "csrf_token": token,
        "occurred_at": "2026-01-02T07:00",
        "product": "Anvil 5SC",
        "active_ingredient": "Hexaconazole",
        "dose": "20",
        "unit": "ml/bình 16 lít",
        "pre_harvest_interval_days": "bảy",
    }
    bad = app_client.post(path, data=form)
    assert bad.status_code == 422
    assert "Vui lòng nhập số nguyên." in bad.text
    assert 'value="Hexaconazole"' in bad.text
    good = app_client.post(path, data={**form, "pre_harvest_interval_days": "7"})
    assert good.status_code == 303
    with Session(runtime.engine) as session:
        event = session.exec(select(Event).where(Event.type == EventType.INPUT_APPLICATION)).one()
        assert event.data["pre_harvest_interval_days"] == 7
        assert event.data["dose"] == "20"
    page = app_client.get(f"/app/lots/{cast.lot_code}").text
    assert "Được thu hoạch từ" in page and "09/01/2026" in page


def test_journey_from_cooperative_to_packer(
    client_factory: ClientFactory, cast: Cast, runtime: Runtime
) -> None:
    coop, packer = client_factory(), client_factory()
    coop_token = sign_in(coop, cast.coop)
    moved = coop.post(
        f"/app/lots/{cast.lot_code}/transfer",
        data={"csrf_token": coop_token, "to": "sadec-pack", "occurred_at": "2026-01-05T09:00"},
    )
    assert moved.status_code == 303
    # In transit: the cooperative still holds the lot but may not act on it until the packer
    # answers; the page says where it is going.
    sent = coop.get(f"/app/lots/{cast.lot_code}")
    assert sent.status_code == 200 and 'id="in-transit"' in sent.text
    assert coop.get(f"/app/lots/{cast.lot_code}/split").status_code == 409

    token = sign_in(packer, cast.packer)
    incoming = packer.get("/app/shipments").text
    assert f'href="/app/lots/{cast.lot_code}/shipment"' in incoming
    assert packer.get(f"/app/lots/{cast.lot_code}/record/receiving").status_code == 403
    assert "Nhận lô" in packer.get(f"/app/lots/{cast.lot_code}/shipment").text
    accepted = packer.post(f"/app/lots/{cast.lot_code}/receive", data={"csrf_token": token})
    assert accepted.status_code == 303, accepted.text
    # Handed on: the cooperative may still read the lot, but no longer act on it.
    assert coop.get(f"/app/lots/{cast.lot_code}").status_code == 200
    assert coop.get(f"/app/lots/{cast.lot_code}/split").status_code == 403
    held = packer.get("/app/lots").text
    assert cast.lot_code in held
    received = packer.post(
        f"/app/lots/{cast.lot_code}/record/receiving",
        data={"csrf_token": token, "occurred_at": "2026-01-05T11:00", "condition": "good"},
    )
    assert received.status_code == 303
    packed = packer.post(
        f"/app/lots/{cast.lot_code}/record/packing",
        data={
            "csrf_token": token,
            "occurred_at": "2026-01-05T14:00",
            "package": "thùng carton 10 kg",
            "package_count": "120",
        },
    )
    assert packed.status_code == 303
    too_much = packer.post(
        f"/app/lots/{cast.lot_code}/split",
        data={"csrf_token": token, "child_quantity_0": "1000", "child_quantity_1": "300"},
    )
    assert too_much.status_code == 422
    assert "Tổng số lượng vượt quá phần còn lại của lô" in too_much.text
    assert 'value="300"' in too_much.text
    split = packer.post(
        f"/app/lots/{cast.lot_code}/split",
        data={
            "csrf_token": token,
            "child_quantity_0": "600",
            "child_code_0": "XOAI-T01-A",
            "child_quantity_2": "600",
            "child_code_2": "XOAI-T01-B",
        },
    )
    assert split.status_code == 303
    page = packer.get(f"/app/lots/{cast.lot_code}").text
    assert "XOAI-T01-A" in page and "XOAI-T01-B" in page
    assert "Còn lại" in page
    with Session(runtime.engine) as session:
        child = session.exec(select(Lot).where(Lot.code == "XOAI-T01-B")).one()
        packer_org = get_org_by_slug(session, "sadec-pack")
        assert packer_org is not None and child.custodian_org_id == packer_org.id


def test_packer_cannot_see_another_packers_lot_pages(
    client_factory: ClientFactory, cast: Cast
) -> None:
    coop, other = client_factory(), client_factory()
    coop_token = sign_in(coop, cast.coop)
    coop.post(
        f"/app/lots/{cast.lot_code}/transfer",
        data={"csrf_token": coop_token, "to": "sadec-pack", "occurred_at": "2026-01-05T09:00"},
    )
    token = sign_in(other, cast.other_packer)
    for path in (
        f"/app/lots/{cast.lot_code}",
        f"/app/lots/{cast.lot_code}/split",
        f"/app/lots/{cast.lot_code}/transfer",
        f"/app/lots/{cast.lot_code}/record/packing",
    ):
        response = other.get(path)
        assert response.status_code == 403, path
        assert "Không có quyền truy cập" in response.text
    attempt = other.post(
        f"/app/lots/{cast.lot_code}/split", data={"csrf_token": token, "child_quantity_0": "5"}
    )
    assert attempt.status_code == 403
    assert cast.lot_code not in other.get("/app/lots").text
    assert cast.lot_code not in other.get("/app/lots?q=XOAI").text
    assert cast.lot_code not in other.get("/app/").text
    assert other.get("/app/search").status_code == 403  # searching every lot is for regulators


def test_regulator_finds_any_lot_and_recalls_it(
    app_client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    token = sign_in(app_client, cast.regulator)
    found = app_client.get(f"/app/search?q={cast.lot_code}")
    assert found.status_code == 303
    assert found.headers["location"] == f"/app/lots/{cast.lot_code}"
    listing = app_client.get("/app/search?q=Mỹ Xương")
    assert cast.lot_code in listing.text
    empty = app_client.post(
        f"/app/lots/{cast.lot_code}/recall", data={"csrf_token": token, "reason": ""}
    )
    assert empty.status_code == 422
    assert "Vui lòng điền ô này." in empty.text
    reason = "Dư lượng Carbendazim vượt ngưỡng (mẫu số 17/2026)"
    recalled = app_client.post(
        f"/app/lots/{cast.lot_code}/recall", data={"csrf_token": token, "reason": reason}
    )
    assert recalled.status_code == 303
    page = app_client.get(f"/app/lots/{cast.lot_code}").text
    assert reason in page
    assert "Đã thu hồi" in page
    with Session(runtime.engine) as session:
        lot = session.exec(select(Lot).where(Lot.code == cast.lot_code)).one()
        assert lot.recall_reason == reason


def test_only_a_regulator_may_recall(app_client: TestClient, cast: Cast) -> None:
    token = sign_in(app_client, cast.coop)
    assert app_client.get(f"/app/lots/{cast.lot_code}/recall").status_code == 403
    response = app_client.post(
        f"/app/lots/{cast.lot_code}/recall", data={"csrf_token": token, "reason": "x"}
    )
    assert response.status_code == 403


def test_admin_creates_an_organisation_and_its_first_user(
    client_factory: ClientFactory, cast: Cast, runtime: Runtime
) -> None:
    admin = client_factory()
    token = sign_in(admin, cast.admin)
    form = {
        "csrf_token": token,
        "slug": "coopmart-hcm",
        "name": "Co.opmart Cống Quỳnh",
        "role": "retailer",
        "username": "coopmart",
        "display_name": "Chị Lan",
        "password": "ngan",
    }
    short = admin.post("/app/admin/orgs", data=form)
    assert short.status_code == 422
    assert "Mật khẩu cần ít nhất 10 ký tự" in short.text
    assert 'value="Co.opmart Cống Quỳnh"' in short.text
    assert 'value="ngan"' not in short.text  # passwords are never sent back
    created = admin.post("/app/admin/orgs", data={**form, "password": "mat-khau-sieu-thi"})
    assert created.status_code == 200
    assert re.search(r'id="api-key">stk_[A-Za-z0-9_-]{20,}<', created.text)
    org_page = admin.get("/app/admin/orgs/coopmart-hcm")
    assert "coopmart" in org_page.text
    second = admin.post(
        "/app/admin/orgs/coopmart-hcm/users",
        data={"csrf_token": token, "username": "coopmart2", "password": "mat-khau-thu-hai"},
    )
    assert second.status_code == 303
    retailer = client_factory()
    sign_in(retailer, "coopmart2", "mat-khau-thu-hai")
    assert "Co.opmart Cống Quỳnh" in retailer.get("/app/").text
    with Session(runtime.engine) as session:
        org = session.exec(select(Organisation).where(Organisation.slug == "coopmart-hcm")).one()
        users = session.exec(select(User).where(User.org_id == org.id)).all()
        assert sorted(u.username for u in users) == ["coopmart", "coopmart2"]


def test_admin_pages_are_for_the_admin_only(app_client: TestClient, cast: Cast) -> None:
    sign_in(app_client, cast.regulator)
    assert app_client.get("/app/admin/orgs").status_code == 403


def test_dashboard_shows_counts_and_an_inline_svg_chart(app_client: TestClient, cast: Cast) -> None:
    sign_in(app_client, cast.coop)
    page = app_client.get("/app/")
    assert page.status_code == 200
    assert '<svg class="chart" role="img"' in page.text
    assert "Lượt quét QR theo sản phẩm" in page.text
    assert "Content-Security-Policy" in page.headers
    assert page.headers["cache-control"] == "no-store"


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_every_page_escapes_user_text(
    client_factory: ClientFactory, cast: Cast, runtime: Runtime
) -> None:
    with session_scope(runtime.engine) as session:
        coop = get_org_by_slug(session, "htx-xoai-my-xuong")
        assert coop is not None
        coop.name = f"HTX {HOSTILE}"
        session.add(coop)
        create_farm(session, org=coop, code="MX-02", name=f"Vườn {HOSTILE}", commune=HOSTILE)
        user = session.exec(select(User).where(User.username == cast.coop)).one()
        user.display_name = HOSTILE
        session.add(user)
    coop_client = client_factory()
    token = sign_in(coop_client, cast.coop)
    coop_client.post(
        f"/app/lots/{cast.lot_code}/record/note",
        data={"csrf_token": token, "occurred_at": "2026-01-05T08:00", "text": HOSTILE},
    )
    bad = coop_client.post("/app/lots/new", data=_harvest_form(token, code=HOSTILE))
    assert bad.status_code == 422
    pages = {
        "form": bad.text,
        "dashboard": coop_client.get("/app/").text,
        "farms": coop_client.get("/app/farms").text,
        "lots": coop_client.get(f"/app/lots?q={HOSTILE}").text,
        "lot": coop_client.get(f"/app/lots/{cast.lot_code}").text,
        "harvest": coop_client.get("/app/lots/new").text,
    }
    regulator = client_factory()
    reg_token = sign_in(regulator, cast.regulator)
    regulator.post(
        f"/app/lots/{cast.lot_code}/recall", data={"csrf_token": reg_token, "reason": HOSTILE}
    )
    pages["regulator_lot"] = regulator.get(f"/app/lots/{cast.lot_code}").text
    pages["search"] = regulator.get("/app/search?q=%3Cscript%3E").text
    admin = client_factory()
    sign_in(admin, cast.admin)
    pages["admin"] = admin.get("/app/admin/orgs").text
    pages["admin_org"] = admin.get("/app/admin/orgs/htx-xoai-my-xuong").text
    for name, html in pages.items():
        assert "<script>" not in html, name
        assert "<img src=x" not in html, name
    assert escape(HOSTILE, quote=False) in pages["lot"].replace("&#34;", '"').replace("&quot;", '"')
