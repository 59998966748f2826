"""The lot page for lots recorded under proof rules v1, which stay after an upgrade to v2.

The same world as tests/web/test_lot_page.py, recorded under rules v1: the page still shows
what a v1 event's columns hold (the harvest's exact point, which v1 never kept private), the
journey in the order of recording, and a column edited behind the application's back as
``tampered`` (v1 hashes are rebuilt from the columns; the rules-v2 twin of that attack, an
edit of the stored document bytes, is the tampered lot of test_lot_page.py).
"""

from __future__ import annotations

import html
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.app import create_app
from backend.models import Event, Lot
from tests.web.conftest import consumer_runtime
from tests.web.scenario import CHILD, MERGED, TAMPERED, TAMPERED_NOTE, VERIFIED, build_world
from tests.web.test_lot_page import page, timeline_items


@pytest.fixture(scope="module")
def web_v1(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A client of the consumer app over the world of lots recorded under rules v1."""
    runtime = consumer_runtime(tmp_path_factory.mktemp("consumer-v1"), event_schema=1)
    try:
        with TestClient(create_app(runtime)) as client:
            build_world(client, runtime)
            with Session(runtime.engine) as session:
                versions = set(session.exec(select(Event.schema_version).join(Lot)).all())
            assert versions == {1}  # the world really is a rules-v1 one
            yield client
    finally:
        runtime.close()


def test_v1_journey_shows_the_columns_it_hashed(web_v1: TestClient) -> None:
    harvest, *_, packing, split = timeline_items(page(web_v1, VERIFIED))
    assert "Địa điểm: 10.4093, 105.7082" in harvest  # v1 kept no point private
    assert "Địa điểm: Xưởng đóng gói Sa Đéc" in packing
    assert "XOAI-2605-A1 (400 kg), XOAI-2605-A2 (600 kg)" in split


def test_v1_split_and_merge_lines_close_the_derived_lots_journeys(web_v1: TestClient) -> None:
    assert "Tách 400 kg từ lô XOAI-2605-A" in timeline_items(page(web_v1, CHILD))[-1]
    merged = timeline_items(page(web_v1, MERGED))[-1]
    assert "Gộp từ: BUOI-2605-M1 (1000 kg), BUOI-2605-M2 (1000 kg)" in merged


def test_v1_column_edit_reads_tampered(web_v1: TestClient) -> None:
    text = page(web_v1, TAMPERED)
    assert ">Dữ liệu bị thay đổi</h1>" in text
    packing = next(item for item in timeline_items(text) if "Đóng gói</span>" in item)
    assert 'data-verdict="tampered"' in packing
    assert html.escape(TAMPERED_NOTE) in packing
    assert ">Data altered</h1>" in page(web_v1, TAMPERED, lang="en")
