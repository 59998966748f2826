"""The consumer page over PostgreSQL: the resolver's queries, scans and verdicts there too."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from backend.app import create_app
from tests.web.conftest import PHONE, consumer_runtime
from tests.web.scenario import CHILD, MANGO_GTIN, MERGED, TAMPERED, VERIFIED, build_world

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_web(tmp_path_factory: pytest.TempPathFactory, postgres_url: str) -> Iterator[TestClient]:
    runtime = consumer_runtime(tmp_path_factory.mktemp("pg"), database_url=postgres_url)
    try:
        with TestClient(create_app(runtime)) as client:
            build_world(client, runtime)
            yield client
    finally:
        runtime.close()


def test_pages_scans_and_verdicts_on_postgres(pg_web: TestClient) -> None:
    expected = {VERIFIED: "verified", CHILD: "verified", MERGED: "verified", TAMPERED: "tampered"}
    for code, verdict in expected.items():
        response = pg_web.get(f"/l/{code}")
        assert response.status_code == 200
        assert f'data-verdict="{verdict}"' in response.text, code
    assert "Vườn xoài ông Tư" in pg_web.get(f"/l/{CHILD}").text
    for count in (1, 2):
        text = pg_web.get(f"/01/{MANGO_GTIN}/10/{CHILD}/21/0001", headers=PHONE).text
        assert f"đã quét {count} lần" in text
    never = pg_web.get(f"/l/{CHILD}/9999", headers=PHONE).text
    assert "Số sê-ri 9999 không có trong danh sách nhãn đã in cho lô này." in never
    assert pg_web.get("/l/KHONG-CO").status_code == 404
