"""What ``--workers N`` changes in each process: the public rate limit's share, and refusals.

The limit test drives the real app: a client gets ``ceil(limit / N)`` public answers from one
process, then 429. The command refuses an in-process chain with several workers before it
starts anything, because each process would get a chain of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from backend.app import create_app
from backend.cli import app as cli
from backend.config import get_settings
from backend.http.rate_limit import process_budget
from backend.runtime import Runtime
from backend.web_workers import WORKERS_ENV
from tests.support.app import make_settings

LIMIT = 5


@pytest.mark.parametrize(
    ("per_minute", "processes", "share"),
    [(600, 1, 600), (600, 2, 300), (5, 2, 3), (1, 4, 1), (0, 3, 0)],
)
def test_each_process_gets_its_rounded_up_share_of_the_limit(
    per_minute: int, processes: int, share: int
) -> None:
    assert process_budget(per_minute, processes) == share


@pytest.fixture
def two_worker_app(tmp_path: Path) -> Iterator[TestClient]:
    data = tmp_path / "data"
    settings = make_settings(
        data, f"sqlite:///{data / 'sentrace.db'}", rate_limit_per_minute=LIMIT, web_workers=2
    )
    runtime = Runtime.create(settings)
    try:
        with TestClient(create_app(runtime)) as client:
            yield client
    finally:
        runtime.close()


def test_a_process_of_two_serves_a_client_its_share_then_429(two_worker_app: TestClient) -> None:
    statuses = [two_worker_app.get("/api/v1/lots/KHONG-CO").status_code for _ in range(LIMIT)]
    assert statuses == [404, 404, 404, 429, 429]  # ceil(5 / 2) = 3 answers, then limited


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.setenv("SENTRACE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SENTRACE_ENV", "test")
    # Set (not deleted) so that what the command writes into os.environ is undone afterwards.
    monkeypatch.setenv(WORKERS_ENV, "1")
    monkeypatch.setenv("SENTRACE_PUBLIC_BASE_URL", "http://127.0.0.1:8000")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_serve_refuses_several_workers_on_the_in_process_chain(
    clean_environment: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SENTRACE_CHAIN_RPC_URL", "memory")
    result = CliRunner().invoke(cli, ["serve", "--port", "1", "--workers", "2"])
    assert result.exit_code == 2
    assert "cannot be shared by 2 processes" in result.output
    assert not (tmp_path / "data").exists()  # refused before anything was created


def test_serve_refuses_a_worker_count_out_of_range(clean_environment: None) -> None:
    result = CliRunner().invoke(cli, ["serve", "--workers", "0"])
    assert result.exit_code == 2
    assert "--workers" in result.output
