"""Many phones scanning one label at once, against a real uvicorn server: every scan is
answered and counted (the scan write must not starve the connection pool or trip SQLite's
snapshot rule under concurrency)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.app import create_app
from backend.models import Scan
from backend.runtime import Runtime
from tests.support.app import Actors
from tests.web.conftest import IPHONE, consumer_runtime
from tests.web.live import serving

SCANNERS = 48  # more than the SQLite pool's 15 connections and the 40 worker threads


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    instance = consumer_runtime(tmp_path)
    try:
        with TestClient(create_app(instance)) as client:
            actors = Actors(client)
            actors.org("htx", "cooperative")
            actors.post("/api/v1/farms", "htx", {"code": "F", "name": "Vườn", "commune": "Xã"})
            actors.post("/api/v1/products", "htx", {"code": "xoai", "name_vi": "Xoài"})
            actors.post(
                "/api/v1/lots",
                "htx",
                {
                    "code": "LO-1",
                    "product": "xoai",
                    "farm": "F",
                    "quantity": "5",
                    "unit": "kg",
                    "harvested_at": "2026-05-01T06:00:00+07:00",
                },
            )
        yield instance
    finally:
        instance.close()


def test_concurrent_scans_are_all_answered_and_counted(runtime: Runtime) -> None:
    with serving(runtime) as url:

        def scan(_: int) -> int:
            with httpx.Client(base_url=url, timeout=120.0) as client:
                return client.get("/l/LO-1/S1", headers={"User-Agent": IPHONE}).status_code

        with ThreadPoolExecutor(max_workers=SCANNERS) as pool:
            statuses = list(pool.map(scan, range(SCANNERS)))
        last = httpx.get(f"{url}/l/LO-1/S1", headers={"User-Agent": IPHONE}, timeout=120.0)
    assert statuses == [200] * SCANNERS
    assert f"đã quét {SCANNERS + 1} lần" in last.text
    with Session(runtime.engine) as session:
        stored = session.exec(select(func.count(col(Scan.id)))).one()
    assert stored == SCANNERS + 1
