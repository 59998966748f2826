"""A rules-v2 lot's ancestry on its page: read from the parents its documents name, with each
ancestor's kind (split, merge) from the type of the parent event named by hash, and the harvest
lots as those whose first document names no parent. The link table is not consulted."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.runtime import Runtime
from tests.support.app import Actors
from tests.support.ledger_flow import anchor_everything, execute, harvest


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"event_schema": 2, "rate_limit_per_minute": 0}


@pytest.fixture
def runtime(chain_runtime: Runtime) -> Runtime:
    return chain_runtime


def _ancestry(client: TestClient, code: str) -> list[str]:
    """The ancestry entries of the Vietnamese page, one line of text each."""
    text = client.get(f"/l/{code}?lang=vi").text
    section = text.split('<section class="card" id="ancestry">', 1)[1].split("</section>", 1)[0]
    return [item.split("</li>", 1)[0].strip() for item in section.split("<li>")[1:]]


def test_a_split_of_a_merged_lot_names_each_ancestor_as_its_documents_do(
    runtime: Runtime, supply_chain: Actors, client: TestClient
) -> None:
    for source in ("LO-M1", "LO-M2"):
        harvest(supply_chain, source)
    body = {"lots": ["LO-M1", "LO-M2"], "code": "LO-M", "occurred_at": "2026-05-03T09:00:00Z"}
    supply_chain.post("/api/v1/lots/merge", "htx", body)
    split = {"children": [{"code": "LO-M-A", "quantity": "100"}]}
    supply_chain.post("/api/v1/lots/LO-M/split", "htx", split)
    anchor_everything(runtime)
    harvest_lot = '<span class="muted">(lô thu hoạch)</span>'
    expected = [
        'Tách từ lô <span class="hash">LO-M</span>',
        f'Gộp từ lô <span class="hash">LO-M1</span> {harvest_lot}',
        f'Gộp từ lô <span class="hash">LO-M2</span> {harvest_lot}',
    ]
    assert _ancestry(client, "LO-M-A") == expected
    execute(runtime.engine, "UPDATE lotlink SET kind = 'SPLIT'")
    assert _ancestry(client, "LO-M-A") == expected
    verification = client.get("/api/v1/lots/LO-M-A/verification").json()
    assert verification["verdict"] == "verified"
