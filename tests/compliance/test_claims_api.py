"""Claims with evidence through the API: stated certificates carry their number and issuer and
read "self-declared" on the consumer page and the public API; only a regulator reviews them,
and only what the farm states; growing-area codes read confirmed only where the registry lists
the farm under the code. The signed reviews themselves, judged against a chain, are in
test_claims_signed.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.compliance.test_growing_areas_api import area_body
from tests.support.app import Actors, harvest_body
from tests.support.bodies import WRONG_ROLE, error, invalid

ISSUER = "Trung tâm Chứng nhận Phù hợp (Quacert)"
VIETGAP = {"scheme": "VietGAP", "number": "VG-0712", "issuer": ISSUER}
ORGANIC = {"scheme": "organic", "number": "OR-9"}
AREA = "VN-DT-XOAI-001"
CONFIRM = "/api/v1/farms/F-A1/certification-confirmations"
REVOKE = "/api/v1/farms/F-A1/certification-revocations"


@pytest.fixture
def farm(supply_chain: Actors) -> Actors:
    """Farm F-A1 of htx, in registered area VN-DT-XOAI-001, stating two certificates; its
    lot L-CERT harvested."""
    return stated_farm(supply_chain)


def stated_farm(actors: Actors) -> Actors:
    body = {
        "code": "F-A1",
        "name": "Vườn A1",
        "commune": "Mỹ Xương",
        "growing_area_code": AREA,
        "certifications": [VIETGAP, ORGANIC],
    }
    actors.post("/api/v1/farms", "htx", body)
    actors.post("/api/v1/growing-areas", "ql", area_body())
    actors.post("/api/v1/lots", "htx", harvest_body(code="L-CERT", farm="F-A1"))
    return actors


def public_farm(actors: Actors, lot: str = "L-CERT") -> dict[str, Any]:
    response = actors.client.get(f"/api/v1/lots/{lot}")
    assert response.status_code == 200, response.text
    farm: dict[str, Any] = response.json()["farm"]
    return farm


def page(actors: Actors, lang: str, lot: str = "L-CERT") -> str:
    response = actors.client.get(f"/l/{lot}", params={"lang": lang})
    assert response.status_code == 200
    return response.text


def test_stated_certificates_read_self_declared_with_number_and_issuer(farm: Actors) -> None:
    shown = public_farm(farm)
    assert shown["certifications"] == [
        {
            "scheme": "VietGAP",
            "number": "VG-0712",
            "issuer": ISSUER,
            "valid_until": None,
            "status": "self_declared",
            "confirmed_by": None,
        },
        {
            "scheme": "organic",
            "number": "OR-9",
            "issuer": None,
            "valid_until": None,
            "status": "self_declared",
            "confirmed_by": None,
        },
    ]
    vietnamese = page(farm, "vi")
    assert vietnamese.count("tự khai") == 2
    assert "số VG-0712" in vietnamese and f"cấp bởi {ISSUER}" in vietnamese
    assert "xác nhận" not in vietnamese.split('id="farm"')[1].split("</section>")[0]
    assert page(farm, "en").count(">self-declared<") == 2


def test_only_a_regulator_reviews_and_only_what_the_farm_states(farm: Actors) -> None:
    client, headers = farm.client, farm.headers
    body = {"scheme": "VietGAP", "number": "VG-0712"}
    own = client.post(CONFIRM, json=body, headers=headers["htx"])
    assert (own.status_code, own.json()) == (403, error(WRONG_ROLE, "permission_denied"))
    unknown = client.post(CONFIRM, json={**body, "number": "VG-9999"}, headers=headers["ql"])
    assert unknown.status_code == 422
    assert unknown.json() == invalid(
        "Vùng trồng không có chứng nhận VietGAP số VG-9999 / "
        "the farm holds no VietGAP certificate numbered VG-9999",
        "number",
    )
    nothing = client.post(REVOKE, json={**body, "reason": "x"}, headers=headers["ql"])
    assert nothing.status_code == 422 and nothing.json()["field"] == "number"
    farm.post(CONFIRM, "ql", body)
    again = client.post(CONFIRM, json=body, headers=headers["ql"])
    assert again.status_code == 409 and again.json()["field"] == "number"
    no_reason = client.post(REVOKE, json=body, headers=headers["ql"])
    assert no_reason.status_code == 422
    missing = client.post(
        "/api/v1/farms/F-NONE/certification-confirmations", json=body, headers=headers["ql"]
    )
    assert missing.status_code == 404


def test_a_growing_area_code_reads_confirmed_only_where_the_registry_lists_the_farm(
    farm: Actors,
) -> None:
    assert public_farm(farm)["growing_area_status"] == "confirmed"
    assert "có trong sổ đăng ký vùng trồng" in page(farm, "vi")
    own = {"code": "F-B", "name": "Vườn B", "commune": "Mỹ Xương", "growing_area_code": "VN-X-1"}
    farm.post("/api/v1/farms", "htx", own)
    farm.post("/api/v1/lots", "htx", harvest_body(code="L-SELF", farm="F-B"))
    assert public_farm(farm, "L-SELF")["growing_area_status"] == "self_declared"
    assert "tự khai" in page(farm, "vi", "L-SELF")
