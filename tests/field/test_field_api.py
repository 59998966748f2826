"""The field app's server side: its pages and data behind the operator session, and the batch
endpoint called with that session (CSRF header, cooperative role, idempotent, validated with
the very messages the phone is given)."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, select

from backend.db import session_scope
from backend.models import Event, Lot
from backend.runtime import Runtime
from backend.services.accounts.api_keys import issue_api_key
from backend.services.accounts.orgs import get_org_by_slug
from backend.services.field.rules import field_rules
from backend.timeutil import in_vietnam, rfc3339_z, utcnow
from tests.operator.conftest import Cast, sign_in

BATCH = "/api/v1/events/batch"
NOT_CUSTODIAN = "Tổ chức không giữ lô này / your organisation does not hold this lot"
IN_TRANSIT = (
    "Lô đang vận chuyển: bên nhận phải nhận hoặc từ chối trước (bên gửi chỉ được huỷ chuyến "
    "hàng khi đã quá hạn) / lot is in transit: the receiver must receive or refuse it first "
    "(the sender may only cancel the shipment once it has expired)"
)


def rule(form: str, name: str) -> dict[str, Any]:
    fields = field_rules()["forms"][form]["fields"]
    found: dict[str, Any] = next(f for f in fields if f["name"] == name)
    return found


def signed_in(client_factory: Any, username: str) -> tuple[TestClient, str]:
    client: TestClient = client_factory()
    token = sign_in(client, username)
    return client, token


def post_items(
    client: TestClient, token: str | None, items: list[dict[str, Any]], **headers: str
) -> Any:
    sent = {"Accept": "application/json", **headers}
    if token is not None:
        sent["X-CSRF-Token"] = token
    return client.post(BATCH, json={"events": items}, headers=sent)


def ago(hours: float) -> str:
    return rfc3339_z(utcnow() - timedelta(hours=hours))


def harvest(code: str, **data: Any) -> dict[str, Any]:
    facts = {"product": "xoai-cat-chu", "farm": "MX-01", "quantity": "850.50", "unit": "kg", **data}
    return {"type": "harvest", "lot": code, "occurred_at": ago(2), "data": facts}


def quality(lot: str, when: str | None = None, **data: Any) -> dict[str, Any]:
    return {"type": "quality_check", "lot": lot, "occurred_at": when or ago(0.1),
            "data": {"result": "pass", **data}}  # fmt: skip


def events_of(runtime: Runtime, code: str) -> list[Event]:
    with Session(runtime.engine) as session:
        lot = session.exec(select(Lot).where(Lot.code == code)).one()
        return list(session.exec(select(Event).where(Event.lot_id == lot.id)).all())


# --- pages and data ---------------------------------------------------------------------------


def test_the_field_app_needs_a_signed_in_member(app_client: TestClient) -> None:
    for path in ("/app/field", "/app/field/data.json"):
        response = app_client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/app/login?next=")


def test_a_packer_is_refused_the_field_app(client_factory: Any, cast: Cast) -> None:
    client, _ = signed_in(client_factory, cast.packer)
    assert client.get("/app/field").status_code == 403
    assert client.get("/app/field/data.json").status_code == 403


def test_the_shell_names_nobody_and_loads_its_script_manifest_and_styles(
    client_factory: Any, cast: Cast
) -> None:
    client, token = signed_in(client_factory, cast.coop)
    page = client.get("/app/field")
    assert page.status_code == 200
    html = page.text
    assert '<script type="module" src="/app/static/build/field.js"></script>' in html
    assert 'rel="manifest" href="/app/field/manifest.webmanifest"' in html
    assert "Sổ đồng ruộng" in html
    assert token not in html and cast.coop not in html  # safe for the service worker to keep
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_data_json_gives_the_member_their_farms_products_lots_rules_and_csrf_token(
    client_factory: Any, cast: Cast
) -> None:
    client, token = signed_in(client_factory, cast.coop)
    data = client.get("/app/field/data.json").json()
    assert data["owner"] == f"htx-xoai-my-xuong/{cast.coop}"
    assert data["csrf"] == {"header": "X-CSRF-Token", "token": token}
    assert [f["code"] for f in data["farms"]] == ["MX-01"]
    assert {"code": "xoai-cat-chu", "name_vi": "Xoài cát Chu", "name_en": "Cat Chu mango",
            "tag": "XOAI"} in data["products"]  # fmt: skip
    assert [lot["code"] for lot in data["lots"]] == [cast.lot_code]
    assert data["lot_code"] == {"region": "DT", "alphabet": "0123456789ABCDEFGHJKMNPQRSTVWXYZ",
                                "random_chars": 6, "max_length": 20}  # fmt: skip
    assert data["rules"] == field_rules()
    assert data["messages"]["save"] == "Lưu vào hàng chờ"
    english = client.get("/app/field/data.json?lang=en").json()
    assert english["messages"]["save"] == "Save to queue"


def test_the_manifest_icons_and_service_worker_are_public_and_well_formed(
    app_client: TestClient,
) -> None:
    manifest = app_client.get("/app/field/manifest.webmanifest")
    assert manifest.status_code == 200
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert body["start_url"] == "/app/field" and body["scope"] == "/app/field"
    assert body["display"] == "standalone"
    for icon in body["icons"]:
        png = app_client.get(icon["src"])
        assert png.status_code == 200 and png.headers["content-type"] == "image/png"
        side = int(icon["sizes"].split("x")[0])
        assert Image.open(io.BytesIO(png.content)).size == (side, side)
    assert app_client.get("/app/field/icons/64.png").status_code == 404
    worker = app_client.get("/app/field/sw.js")
    assert worker.status_code == 200
    assert worker.headers["service-worker-allowed"] == "/app/field"
    assert worker.headers["content-type"].startswith("text/javascript")
    assert "sentrace-field" in worker.text


# --- the batch endpoint with the operator session ---------------------------------------------


def test_the_batch_endpoint_takes_the_session_only_with_its_csrf_header(
    client_factory: Any, cast: Cast, runtime: Runtime
) -> None:
    client, token = signed_in(client_factory, cast.coop)
    refused = post_items(client, None, [quality(cast.lot_code)])
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("Thiếu hoặc sai mã chống giả mạo")
    assert refused.json()["field"] == "X-CSRF-Token"
    wrong = post_items(client, "not-the-token", [quality(cast.lot_code)])
    assert wrong.status_code == 403
    assert len(events_of(runtime, cast.lot_code)) == 1  # the harvest only

    accepted = post_items(client, token, [quality(cast.lot_code)])
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["accepted"] == 1


def test_the_batch_endpoint_without_any_credentials_is_401(app_client: TestClient) -> None:
    response = app_client.post(BATCH, json={"events": [quality("XOAI-T01")]})
    assert response.status_code == 401


def test_a_packer_session_is_refused_the_batch_endpoint(client_factory: Any, cast: Cast) -> None:
    client, token = signed_in(client_factory, cast.packer)
    response = post_items(client, token, [quality(cast.lot_code)])
    assert response.status_code == 403
    assert response.json()["detail"] == "Vai trò không được phép / role not allowed"


def test_a_harvest_item_creates_its_lot_and_later_items_may_name_it(
    client_factory: Any, cast: Cast, runtime: Runtime
) -> None:
    client, token = signed_in(client_factory, cast.coop)
    code = "DT-XOAI-2612-FAB2C"
    response = post_items(client, token, [harvest(code), quality(code, brix="14")])
    assert response.status_code == 201, response.text
    stored = events_of(runtime, code)
    assert [e.type.value for e in stored] == ["harvest", "quality_check"]
    assert stored[0].data == {"product": "xoai-cat-chu", "farm": "MX-01", "quantity": "850.5",
                              "unit": "kg"}  # fmt: skip
    with Session(runtime.engine) as session:
        lot = session.exec(select(Lot).where(Lot.code == code)).one()
        assert (lot.quantity, lot.unit) == ("850.5", "kg")


def test_an_entry_sent_twice_with_its_id_as_key_is_stored_once(
    client_factory: Any, cast: Cast, runtime: Runtime
) -> None:
    client, token = signed_in(client_factory, cast.coop)
    key = "0b6c4f0e-5d1c-4a57-9d55-8a8f3f2f1a11"
    item = quality(cast.lot_code, notes="Trái đẹp")
    first = post_items(client, token, [item], **{"Idempotency-Key": key})
    again = post_items(client, token, [item], **{"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert len(events_of(runtime, cast.lot_code)) == 2


@pytest.mark.parametrize(
    ("form", "name", "item_data", "check"),
    [
        ("harvest", "quantity", {"quantity": "mười"}, "not_decimal"),
        ("harvest", "quantity", {"quantity": "0"}, "not_positive"),
        ("harvest", "quantity", {"quantity": "1.1234567"}, "too_many_places"),
        ("harvest", "unit", {"unit": "k" * 17}, "too_long"),
        ("harvest", "unit", {"unit": "   "}, "empty"),
    ],
)
def test_a_refused_harvest_reads_as_the_phone_was_told(
    client_factory: Any, cast: Cast, form: str, name: str, item_data: dict[str, Any], check: str
) -> None:
    client, token = signed_in(client_factory, cast.coop)
    response = post_items(client, token, [harvest("DT-XOAI-2612-FBAD1", **item_data)])
    assert response.status_code == 422, response.text
    spec = rule(form, name)
    assert response.json()["detail"] == spec["messages"][check]
    assert response.json()["field"] == f"events[0].{spec['path']}"


@pytest.mark.parametrize(
    ("name", "value", "check"),
    [
        ("pre_harvest_interval_days", 99999, "range"),
        ("pre_harvest_interval_days", "7", "not_integer"),
        ("dose", "1,5", "not_decimal"),
        ("active_ingredient", "", "empty"),
    ],
)
def test_a_refused_input_application_reads_as_the_phone_was_told(
    client_factory: Any, cast: Cast, name: str, value: Any, check: str
) -> None:
    client, token = signed_in(client_factory, cast.coop)
    data = {"product": "Anvil 5SC", "active_ingredient": "Hexaconazole", "dose": "1.5",
            "unit": "ml/l", "pre_harvest_interval_days": 7, name: value}  # fmt: skip
    item = {"type": "input_application", "lot": cast.lot_code, "occurred_at": ago(1), "data": data}
    response = post_items(client, token, [item])
    assert response.status_code == 422, response.text
    spec = rule("treatment", name)  # an input on a lot: a post-harvest treatment
    assert response.json()["detail"] == spec["messages"][check]
    assert response.json()["field"] == f"events[0].{spec['path']}"


def test_a_future_time_reads_as_the_phone_was_told(client_factory: Any, cast: Cast) -> None:
    client, token = signed_in(client_factory, cast.coop)
    response = post_items(
        client, token, [quality(cast.lot_code, when=rfc3339_z(utcnow() + timedelta(hours=1)))]
    )
    assert response.status_code == 422
    assert response.json()["detail"] == rule("quality_check", "occurred_at")["messages"]["future"]


def test_an_entry_on_a_lot_handed_on_meanwhile_is_refused_naming_it(
    client_factory: Any, cast: Cast
) -> None:
    member, token = signed_in(client_factory, cast.coop)
    colleague, colleague_token = signed_in(client_factory, cast.coop)
    form = colleague.get(f"/app/lots/{cast.lot_code}/transfer")
    assert form.status_code == 200
    moved = colleague.post(
        f"/app/lots/{cast.lot_code}/transfer",
        data={
            "csrf_token": colleague_token,
            "to": "sadec-pack",
            "occurred_at": in_vietnam(utcnow() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert moved.status_code == 303, moved.text
    lots = member.get("/app/field/data.json").json()["lots"]
    assert cast.lot_code not in [lot["code"] for lot in lots]  # not offered while in transit
    in_transit = post_items(member, token, [quality(cast.lot_code)])
    assert in_transit.status_code == 409
    assert in_transit.json() == {"detail": IN_TRANSIT, "code": "conflict",
                                 "field": "events[0].lot"}  # fmt: skip
    packer, packer_token = signed_in(client_factory, cast.packer)
    received = packer.post(f"/app/lots/{cast.lot_code}/receive", data={"csrf_token": packer_token})
    assert received.status_code == 303, received.text
    response = post_items(member, token, [quality(cast.lot_code, when=ago(0.5))])
    assert response.status_code == 403
    assert response.json() == {"detail": NOT_CUSTODIAN, "code": "permission_denied",
                               "field": "events[0].lot"}  # fmt: skip


# --- receipt time on the lot page ---------------------------------------------------------------


def test_the_lot_page_shows_the_receipt_time_only_when_it_is_an_hour_apart(
    client_factory: Any, cast: Cast
) -> None:
    client, token = signed_in(client_factory, cast.coop)
    shown = "máy chủ nhận lúc"
    # The world's lot was recorded now as harvested three hours ago: both times are shown.
    assert client.get(f"/app/lots/{cast.lot_code}").text.count(shown) == 1
    assert post_items(client, token, [quality(cast.lot_code, when=ago(0.5))]).status_code == 201
    assert client.get(f"/app/lots/{cast.lot_code}").text.count(shown) == 1
    assert post_items(client, token, [quality(cast.lot_code, when=ago(26))]).status_code == 201
    assert client.get(f"/app/lots/{cast.lot_code}").text.count(shown) == 2


def test_a_signed_out_session_no_longer_reaches_the_batch_endpoint(
    client_factory: Any, cast: Cast
) -> None:
    client, token = signed_in(client_factory, cast.coop)
    cookie = client.cookies.get("sentrace_session")
    assert client.post("/app/logout", data={"csrf_token": token}).status_code == 303
    stale: TestClient = client_factory()
    stale.cookies.set("sentrace_session", cookie or "")
    response = post_items(stale, token, [quality(cast.lot_code)])
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Phiên đăng nhập đã hết")


def test_a_harvest_while_a_pre_harvest_interval_runs_is_refused_naming_its_time(
    client_factory: Any, cast: Cast, runtime: Runtime
) -> None:
    with session_scope(runtime.engine) as session:
        coop = get_org_by_slug(session, "htx-xoai-my-xuong")
        assert coop is not None
        _, api_key = issue_api_key(session, org=coop, label="diary")
    sprayed = {"product": "Anvil 5SC", "active_ingredient": "Hexaconazole", "dose": "1.5",
               "unit": "ml/l", "pre_harvest_interval_days": 14, "operator": "Nguyễn Văn Tư",
               "applied_at": ago(24)}  # fmt: skip
    client, token = signed_in(client_factory, cast.coop)
    diary = client.post(
        "/api/v1/farms/MX-01/inputs", json=sprayed, headers={"Authorization": f"Bearer {api_key}"}
    )
    assert diary.status_code == 201, diary.text
    response = post_items(client, token, [harvest("DT-XOAI-2612-FPHI1")])
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "events[0].occurred_at"
    assert response.json()["detail"].startswith(
        "Chưa hết thời gian cách ly trước thu hoạch của Anvil 5SC"
    )
