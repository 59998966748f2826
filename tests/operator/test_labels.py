"""Printing labels: the service, the REST endpoint and the operator page, with QR decoding."""

from __future__ import annotations

from io import BytesIO

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, col, select

from backend.db import session_scope
from backend.models import LabelSerial, Lot
from backend.runtime import Runtime
from backend.services.accounts.api_keys import issue_api_key
from backend.services.accounts.orgs import get_org_by_slug
from tests.operator.conftest import Cast, sign_in
from tests.qr.helpers import decode_qr_codes, pdf_pages, zip_members


def _api_key(runtime: Runtime, slug: str) -> str:
    with session_scope(runtime.engine) as session:
        org = get_org_by_slug(session, slug)
        assert org is not None
        _, key = issue_api_key(session, org=org, label="test")
    return key


def test_api_prints_a_pdf_whose_codes_decode_to_the_lot_links(
    app_client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    key = _api_key(runtime, "htx-xoai-my-xuong")
    response = app_client.post(
        f"/api/v1/lots/{cast.lot_code}/labels",
        json={"count": 4, "layout": "a4", "format": "pdf", "serials": True},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith('attachment; filename="sentrace-')
    ((size, image),) = pdf_pages(response.content, 300)
    assert (round(size[0]), round(size[1])) == (210, 297)
    base = runtime.settings.public_base_url
    expected = {f"{base}/l/{cast.lot_code}/{n:06d}" for n in range(1, 5)}
    assert set(decode_qr_codes(image)) == expected
    with Session(runtime.engine) as session:
        lot = session.exec(select(Lot).where(Lot.code == cast.lot_code)).one()
        serials = session.exec(
            select(LabelSerial.serial)
            .where(LabelSerial.lot_id == lot.id)
            .order_by(col(LabelSerial.serial))
        ).all()
        assert serials == ["000001", "000002", "000003", "000004"]


def test_a_second_serialised_run_continues_the_numbering(
    app_client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    key = _api_key(runtime, "htx-xoai-my-xuong")
    headers = {"Authorization": f"Bearer {key}"}
    body = {"count": 2, "layout": "thermal-50x30", "format": "png", "serials": True}
    first = app_client.post(f"/api/v1/lots/{cast.lot_code}/labels", json=body, headers=headers)
    second = app_client.post(f"/api/v1/lots/{cast.lot_code}/labels", json=body, headers=headers)
    assert first.headers["content-type"] == second.headers["content-type"] == "application/zip"
    codes = set()
    for content in (first.content, second.content):
        for member in zip_members(content).values():
            codes.update(decode_qr_codes(Image.open(BytesIO(member))))
    assert {code.rsplit("/", 1)[1] for code in codes} == {"000001", "000002", "000003", "000004"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"count": 0}, "count"),
        ({"count": 100000}, "count"),
        ({"count": 1, "layout": "a5"}, "layout"),
        ({"count": 1, "format": "svg"}, "format"),
        ({"count": 1, "layout": "a4", "format": "zpl"}, "format"),
    ],
)
def test_api_refuses_bad_label_requests(
    app_client: TestClient, cast: Cast, runtime: Runtime, body: dict[str, object], field: str
) -> None:
    key = _api_key(runtime, "htx-xoai-my-xuong")
    response = app_client.post(
        f"/api/v1/lots/{cast.lot_code}/labels",
        json=body,
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_api_labels_need_the_lot_in_hand(
    app_client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    packer_key = _api_key(runtime, "sadec-pack")
    url = f"/api/v1/lots/{cast.lot_code}/labels"
    assert app_client.post(url, json={"count": 1}).status_code == 401
    not_holder = app_client.post(
        url, json={"count": 1}, headers={"Authorization": f"Bearer {packer_key}"}
    )
    assert not_holder.status_code == 403
    unknown = app_client.post(
        "/api/v1/lots/KHONG-CO/labels",
        json={"count": 1},
        headers={"Authorization": f"Bearer {packer_key}"},
    )
    assert unknown.status_code == 404


def test_operator_page_downloads_a_label_file(
    app_client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    token = sign_in(app_client, cast.coop)
    form_page = app_client.get(f"/app/lots/{cast.lot_code}/labels")
    assert form_page.status_code == 200
    assert "In tem QR" in form_page.text
    bad = app_client.post(
        f"/app/lots/{cast.lot_code}/labels",
        data={"csrf_token": token, "layout": "a4", "format": "pdf", "count": "0", "serials": "on"},
    )
    assert bad.status_code == 422
    assert "Phải từ 1 trở lên." in bad.text
    assert '<option value="a4" selected>' in bad.text
    good = app_client.post(
        f"/app/lots/{cast.lot_code}/labels",
        data={"csrf_token": token, "layout": "a4", "format": "pdf", "count": "3"},
    )
    assert good.status_code == 200
    assert good.headers["content-type"] == "application/pdf"
    ((_, image),) = pdf_pages(good.content, 300)
    base = runtime.settings.public_base_url
    assert decode_qr_codes(image) == [f"{base}/l/{cast.lot_code}"] * 3


def test_operator_page_prints_for_export_only_a_lot_with_every_circular_02_item(
    app_client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    token = sign_in(app_client, cast.coop)
    form_page = app_client.get(f"/app/lots/{cast.lot_code}/labels")
    assert '<option value="export-100x70">' in form_page.text
    assert "Tem cho hàng xuất khẩu" in form_page.text
    refused = app_client.post(
        f"/app/lots/{cast.lot_code}/labels",
        data={
            "csrf_token": token,
            "layout": "export-100x70",
            "format": "pdf",
            "count": "2",
            "serials": "on",
            "export": "on",
        },
    )
    assert refused.status_code == 422
    assert 'id="e-export"' in refused.text
    assert "Thông tư 02/2024/TT-BKHCN" in refused.text
    assert 'name="export" checked' in refused.text
    with Session(runtime.engine) as session:
        lot = session.exec(select(Lot).where(Lot.code == cast.lot_code)).one()
        assert session.exec(select(LabelSerial).where(LabelSerial.lot_id == lot.id)).all() == []
