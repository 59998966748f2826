"""The operator app's farm form records a certificate with its number and issuer, and says that
it will read as self-declared until a regulator confirms it."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.models import Farm
from backend.runtime import Runtime
from tests.operator.conftest import Cast, sign_in


def test_a_certificate_is_recorded_with_its_number_and_issuer(
    app_client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    token = sign_in(app_client, cast.coop)
    page = app_client.get("/app/farms")
    assert "Tổ chức cấp chứng nhận" in page.text
    assert "tự khai cho đến khi cơ quan quản lý xác nhận" in page.text
    farm = {
        "code": "MX-77",
        "name": "Vườn bảy",
        "commune": "Mỹ Xương",
        "cert_scheme": "VietGAP",
        "cert_number": "VG-77",
        "cert_issuer": "Trung tâm Kiểm nghiệm Đồng Tháp",
        "csrf_token": token,
    }
    response = app_client.post("/app/farms", data=farm, follow_redirects=False)
    assert response.status_code == 303, response.text
    with Session(runtime.engine) as session:
        stored = session.exec(select(Farm).where(Farm.code == "MX-77")).one()
    assert stored.certifications == [
        {
            "scheme": "VietGAP",
            "number": "VG-77",
            "issuer": "Trung tâm Kiểm nghiệm Đồng Tháp",
            "valid_from": None,
            "valid_until": None,
        }
    ]
