"""The operator's lot page for a rules-v2 lot states what its verified documents say and what
the chain answers, whatever the rows beside them say; a rules-v1 lot's page still reads rows.

Runs on SQLite and PostgreSQL with the in-process chain; each event sits in a batch of its own.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.db import session_scope
from backend.runtime import Runtime
from backend.services.accounts.users import create_user
from tests.operator.conftest import PASSWORD, sign_in
from tests.support.app import Actors, harvest_body
from tests.support.custody import hand_over
from tests.support.ledger_flow import anchor_everything, events, execute, set_event_json

LOT = "LO-V2-OP"
PAGE = f"/app/lots/{LOT}"
FORGED_TX = "0x" + "ab" * 32
PRIVATE_NOTE = "Anh Tư phun, gọi 0912 345 678"
SPRAY = {
    "type": "input_application",
    "occurred_at": "2026-04-20T08:00:00Z",
    "data": {
        "product": "Nativo 750WG",
        "active_ingredient": "Tebuconazole + Trifloxystrobin",
        "dose": "0.3",
        "unit": "g/L",
        "pre_harvest_interval_days": 7,
        "note": PRIVATE_NOTE,
    },
    "private": ["note"],
}
TX = re.compile(r"tx (0x[0-9a-f]{64})")


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"event_schema": 2, "rate_limit_per_minute": 0}


@pytest.fixture
def runtime(chain_runtime: Runtime) -> Runtime:
    return chain_runtime


@pytest.fixture
def coop(runtime: Runtime, supply_chain: Actors, app_client: TestClient) -> TestClient:
    """The cooperative's browser, signed in, with lot LO-V2-OP recorded and anchored: a
    harvest on a farm with a GPS point, a spray with a private note, a transfer to the packer,
    one batch each."""
    with session_scope(runtime.engine) as session:
        create_user(session, org_slug="htx", username="coop", password=PASSWORD)
    farm = {"code": "F-GPS", "name": "Vườn xoài Tư Hùng", "commune": "Mỹ Xương",
            "growing_area_code": "VN-DT-0042", "lat": "10.4521", "lon": "105.6331"}  # fmt: skip
    supply_chain.post("/api/v1/farms", "htx", farm)
    supply_chain.post("/api/v1/lots", "htx", harvest_body(code=LOT, farm="F-GPS"))
    anchor_everything(runtime)
    supply_chain.post(f"/api/v1/lots/{LOT}/events", "htx", SPRAY)
    anchor_everything(runtime)
    hand_over(supply_chain.post, LOT, "htx", "dg")
    anchor_everything(runtime)
    sign_in(app_client, "coop")
    return app_client


def page(client: TestClient) -> str:
    """The lot page's own content (the header names the signed-in organisation, from rows)."""
    response = client.get(PAGE)
    assert response.status_code == 200, response.text
    return response.text.split('<main class="page">', 1)[1].split("</main>", 1)[0]


def edit_rows(runtime: Runtime) -> None:
    """Every row a page used to read the lot's facts from, edited."""
    engine = runtime.engine
    execute(engine, "UPDATE product SET name_vi = 'Xoài giả', gtin = '08930000000011'")
    execute(engine, "UPDATE farm SET name = 'Vườn giả', commune = 'Xã giả', province = 'Tỉnh giả'")
    execute(engine, "UPDATE farm SET growing_area_code = 'VN-XX-9999'")
    execute(engine, "UPDATE organisation SET name = 'HTX Giả' WHERE slug = 'htx'")
    execute(
        engine,
        "UPDATE lot SET quantity = '5', unit = 'tấn', harvested_at = :when",
        when="2020-01-01 00:00:00",
    )
    execute(engine, "UPDATE batch SET tx_hash = :tx, block_number = 999999", tx=FORGED_TX)


def test_a_rules_v2_page_states_the_documents_and_the_chain(
    runtime: Runtime, coop: TestClient
) -> None:
    before = page(coop)
    assert "Xoài cát Hòa Lộc" in before
    assert "Vườn xoài Tư Hùng" in before and "VN-DT-0042" in before
    assert "HTX Mỹ Xương" in before  # the producer and each event's recorder
    assert "1000 kg" in before and "01/05/2026 06:30" in before
    assert "được giữ kín" in before  # the private note, said to be private
    assert PRIVATE_NOTE not in before and "commitment" not in before
    assert "theo cơ sở dữ liệu, chưa được chứng minh" in before  # the custodian
    assert len(set(TX.findall(before))) == 3

    edit_rows(runtime)
    after = page(coop)
    for forged in ("Xoài giả", "08930000000011", "Vườn giả", "Xã giả", "Tỉnh giả", "VN-XX-9999",
                   "HTX Giả", "5 tấn", "01/01/2020", FORGED_TX, "999999"):  # fmt: skip
        assert forged not in after, forged
    assert "Xoài cát Hòa Lộc" in after and "Vườn xoài Tư Hùng" in after
    assert "HTX Mỹ Xương" in after and "1000 kg" in after and "01/05/2026 06:30" in after
    assert set(TX.findall(after)) == set(TX.findall(before))
    assert "badge-verified" in after


def test_an_edited_event_row_does_not_change_the_timeline(
    runtime: Runtime, coop: TestClient
) -> None:
    transfer = events(runtime.engine, lot_code=LOT)[-1]
    moved = "UPDATE event SET type = 'NOTE', occurred_at = :when WHERE id = :id"
    assert execute(runtime.engine, moved, when="2020-01-01 00:00:00", id=transfer.id) == 1
    set_event_json(runtime.engine, transfer.id, "data", {"to": "htx2"})
    shown = page(coop)
    assert "Chuyển giao" in shown  # the transfer, as its document says
    assert "01/01/2020" not in shown and "HTX2" not in shown


class TestRulesV1:
    """The same edits on a rules-v1 lot: its page reads rows, as it always did."""

    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return {"event_schema": 1, "rate_limit_per_minute": 0}

    def test_a_rules_v1_page_reads_rows(
        self, runtime: Runtime, supply_chain: Actors, app_client: TestClient
    ) -> None:
        with session_scope(runtime.engine) as session:
            create_user(session, org_slug="htx", username="coop", password=PASSWORD)
        supply_chain.post("/api/v1/lots", "htx", harvest_body(code=LOT))
        anchor_everything(runtime)
        sign_in(app_client, "coop")
        edit_rows(runtime)
        shown = page(app_client)
        assert "Xoài giả" in shown and "Vườn giả" in shown and "5 tấn" in shown
        assert FORGED_TX in shown and "999999" in shown
        assert "chưa được chứng minh" not in shown and "Nhà sản xuất" not in shown
