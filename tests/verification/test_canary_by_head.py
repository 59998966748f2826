"""A verification at an unchanged head block spares the canary read; a new block does not.

The canary guards the cached final anchors against a reorg or a reset. Its block's hash is
committed to by every head above it, so once it was read unchanged at head H, requests that
find the same H need not read it again. These tests count the reads through the application,
on the in-process chain, and check that a row edited meanwhile still reads ``tampered``.
"""

from __future__ import annotations

from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Table, select, update

from backend.chain import ChainClient
from backend.models import Event
from backend.runtime import Runtime
from backend.services.verification.chain_view import ChainView
from tests.support.app import Actors
from tests.support.ledger_flow import noted_and_anchored

LOT = "LO-CANARY-HEAD"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"event_schema": 2}


@pytest.fixture
def lot(runtime: Runtime, supply_chain: Actors, client: TestClient) -> str:
    return noted_and_anchored(runtime, supply_chain, LOT, ["Tỉa cành", "Bón phân hữu cơ"])


@pytest.fixture
def canary_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every block whose hash a verification asks the node for."""
    asked: list[int] = []
    original = ChainView._block_hash

    def counted(chain: ChainClient, number: int) -> bytes | None:
        asked.append(number)
        return original(chain, number)

    monkeypatch.setattr(ChainView, "_block_hash", staticmethod(counted))
    return asked


def _verdict(client: TestClient) -> str:
    body = client.get(f"/api/v1/lots/{LOT}/verification").json()
    return cast(str, body["verdict"])


def test_reads_at_one_head_share_one_canary_read_and_a_new_block_reads_it_again(
    runtime: Runtime, client: TestClient, lot: str, canary_reads: list[int]
) -> None:
    assert _verdict(client) == "verified"  # warm: the anchor is final and cached
    canary_reads.clear()
    for _ in range(3):
        assert _verdict(client) == "verified"
    assert len(canary_reads) <= 1  # at most the first read at this head
    canary_reads.clear()
    for _ in range(3):
        assert _verdict(client) == "verified"
    assert canary_reads == []
    chain = runtime.chain
    assert chain is not None
    chain.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    assert _verdict(client) == "verified"
    assert len(canary_reads) == 1


def test_a_row_edited_at_an_unchanged_head_still_reads_tampered(
    runtime: Runtime, client: TestClient, lot: str, canary_reads: list[int]
) -> None:
    for _ in range(3):
        assert _verdict(client) == "verified"
    table = cast(Table, Event.__table__)
    with runtime.engine.begin() as connection:
        event_id = connection.execute(select(table.c.id).limit(1)).scalar_one()
        edited = update(table).where(table.c.id == event_id).values(leaf="0x" + "00" * 32)
        connection.execute(edited)
    assert _verdict(client) == "tampered"
