"""A certificate reads confirmed only once a regulator's signed review is on record, through a
real ``sentrace serve`` whose anchoring worker registers the organisations' keys and the
regulator's role on its chain (in process): the farm's own cooperative cannot confirm it, the
regulator can, and a withdrawal puts it back to self-declared.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.app import Actors, harvest_body
from tests.support.server import ServerProcess, server_env

CONFIRM = "/api/v1/farms/F-CERT/certification-confirmations"
REVOKE = "/api/v1/farms/F-CERT/certification-revocations"
REGULATOR = "Chi cục Trồng trọt và Bảo vệ thực vật Đồng Tháp"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Actors]:
    root = tmp_path_factory.mktemp("claims")
    env = server_env(root / "data", chain_rpc_url="memory", worker_enabled=True)
    server = ServerProcess(env=env, log_path=root / "server.log").start()
    try:
        with server.client() as http:
            actors = Actors(http)  # type: ignore[arg-type]  # any httpx client serves
            actors.org("htx", "cooperative", "HTX Mỹ Xương")
            actors.org("ql", "regulator", REGULATOR)
            certificate = {"scheme": "VietGAP", "number": "VG-LIVE-01", "issuer": "Quacert"}
            farm = {"code": "F-CERT", "name": "Vườn VietGAP", "commune": "Mỹ Xương"}
            actors.post("/api/v1/farms", "htx", {**farm, "certifications": [certificate]})
            actors.post("/api/v1/products", "htx", {"code": "xoai", "name_vi": "Xoài cát Chu"})
            actors.post("/api/v1/lots", "htx", harvest_body(code="L-CERT", farm="F-CERT"))
            yield actors
    finally:
        server.stop()


def _stated(live: Actors) -> dict[str, Any]:
    [shown] = live.client.get("/api/v1/lots/L-CERT").json()["farm"]["certifications"]
    return dict(shown)


def _until(live: Actors, status: str) -> dict[str, Any]:
    """The certificate once it reads ``status`` (the worker puts keys and roles on chain)."""
    deadline = time.monotonic() + 60
    while (shown := _stated(live))["status"] != status:
        assert time.monotonic() < deadline, f"still {shown['status']}, never {status}"
        time.sleep(0.2)
    return shown


def test_only_a_regulators_signed_review_confirms_a_certificate_until_withdrawn(
    live: Actors,
) -> None:
    assert (_stated(live)["status"], _stated(live)["confirmed_by"]) == ("self_declared", None)
    review = {"scheme": "VietGAP", "number": "VG-LIVE-01"}
    own = live.client.post(CONFIRM, json=review, headers=live.headers["htx"])
    assert own.status_code == 403, own.text  # a cooperative cannot confirm its own certificate
    entry = live.post(CONFIRM, "ql", review)
    assert entry["type"] == "claim_confirmation" and entry["signature"]
    assert _until(live, "confirmed")["confirmed_by"] == REGULATOR
    page = live.client.get("/l/L-CERT").text
    assert f"đã được {REGULATOR} xác nhận" in page

    live.post(REVOKE, "ql", {**review, "reason": "Hết hiệu lực"})
    assert _until(live, "self_declared")["confirmed_by"] is None
