"""A recall notice shows on the dashboard of the organisation holding the affected lot."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlmodel import select

from backend.db import session_scope
from backend.models import Organisation
from backend.runtime import Runtime
from backend.services.compliance import notices
from tests.operator.conftest import Cast, sign_in


def test_the_holder_of_an_affected_lot_sees_the_notice_on_its_dashboard(
    runtime: Runtime, client_factory: Callable[[], TestClient], cast: Cast
) -> None:
    with session_scope(runtime.engine) as session:
        regulator = session.exec(
            select(Organisation).where(Organisation.role == "regulator")
        ).first()
        assert regulator is not None
        notices.issue_notice(
            session, org=regulator, lot=cast.lot_code, input_batch=None, reason="Dư lượng <cao>"
        )
    coop, packer = client_factory(), client_factory()
    sign_in(coop, cast.coop)
    page = coop.get("/app/", params={"lang": "vi"}).text
    assert "Thông báo thu hồi" in page
    assert f"Dư lượng &lt;cao&gt;. Lô bạn đang giữ: {cast.lot_code}" in page  # escaped
    sign_in(packer, cast.packer)
    assert "Thông báo thu hồi" not in packer.get("/app/").text  # not the packer's lot
