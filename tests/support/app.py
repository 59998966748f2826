"""An application over a real database, for ledger and API tests, on SQLite and PostgreSQL.

Re-export in a conftest (``from tests.support.app import database_url,
shared_postgres_database, runtime, client``, plus ``postgres_cluster`` from
tests.support.postgres) and every test that asks
for ``client`` runs twice: on a SQLite file in its tmp_path and on a fresh PostgreSQL database
(marked ``postgres``). :class:`Actors` creates organisations through the API itself and keeps
their ``Authorization`` headers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from backend.app import create_app
from backend.config import Environment, Settings
from backend.db import create_schema, make_engine
from backend.runtime import Runtime
from tests.support.postgres import PostgresCluster

ADMIN_TOKEN = "test-admin-token-0123456789abcdef"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def make_settings(data_dir: Path, database_url: str, **overrides: Any) -> Settings:
    """Settings for a test app: its own data folder and database, no chain, no worker."""
    values: dict[str, Any] = {
        "env": Environment.TEST,
        "data_dir": data_dir,
        "database_url": database_url,
        "admin_token": ADMIN_TOKEN,
        "chain_rpc_url": "memory",
        "worker_enabled": False,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture(scope="session")
def shared_postgres_database(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """One PostgreSQL database per session, migrated to head once; emptied before each test.

    Creating a database costs over a second (it copies a template), emptying every table costs
    milliseconds, and an emptied database with its sequences restarted is as good as new for
    the tests here. Tests that change the schema itself use ``postgres_url`` (a fresh database).
    """
    url = postgres_cluster.create_database()
    engine = make_engine(url)
    create_schema(engine)
    engine.dispose()
    try:
        yield url
    finally:
        postgres_cluster.drop_database(url)


def empty_all_tables(url: str) -> None:
    """TRUNCATE every table but Alembic's, restarting ids, as if the database were new."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        ]
        if tables:
            names = ", ".join(f'"{name}"' for name in tables)
            connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database: a SQLite file, then (second run) PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{(tmp_path / 'ledger.db').as_posix()}"
    url: str = request.getfixturevalue("shared_postgres_database")
    empty_all_tables(url)
    return url


@pytest.fixture
def runtime(tmp_path: Path, database_url: str) -> Iterator[Runtime]:
    """A runtime with the schema migrated to head, closed after the test."""
    instance = Runtime.create(make_settings(tmp_path / "data", database_url))
    try:
        yield instance
    finally:
        instance.close()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    """A TestClient of the app bound to ``runtime``."""
    with TestClient(create_app(runtime)) as test_client:
        yield test_client


@dataclass
class Actors:
    """Organisations made through the API; ``headers[slug]`` authenticates as one."""

    client: TestClient
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def org(self, slug: str, role: str, name: str | None = None) -> dict[str, str]:
        response = self.client.post(
            "/api/v1/orgs",
            json={"slug": slug, "name": name or slug.upper(), "role": role},
            headers=ADMIN,
        )
        assert response.status_code == 201, response.text
        self.headers[slug] = {"Authorization": f"Bearer {response.json()['api_key']}"}
        return self.headers[slug]

    def post(self, path: str, as_org: str, body: Any, **kwargs: Any) -> Any:
        """POST expecting success; returns the JSON body."""
        response = self.client.post(path, json=body, headers=self.headers[as_org], **kwargs)
        assert response.status_code in (200, 201), response.text
        return response.json()


@pytest.fixture
def actors(client: TestClient) -> Actors:
    return Actors(client)


def harvest_body(**overrides: Any) -> dict[str, Any]:
    """A valid ``POST /lots`` body for product ``xoai`` on farm ``F-01``."""
    return {
        "product": "xoai",
        "farm": "F-01",
        "quantity": "1000",
        "unit": "kg",
        "harvested_at": "2026-05-01T06:30:00+07:00",
        **overrides,
    }


@pytest.fixture
def supply_chain(actors: Actors) -> Actors:
    """A cooperative ``htx`` with farm ``F-01`` and product ``xoai``, a packer ``dg``, a second
    cooperative ``htx2``, a regulator ``ql``."""
    actors.org("htx", "cooperative", "HTX Mỹ Xương")
    actors.org("htx2", "cooperative")
    actors.org("dg", "packer", "Đóng gói Sa Đéc")
    actors.org("ql", "regulator", "Chi cục QLCL")
    actors.post(
        "/api/v1/farms", "htx", {"code": "F-01", "name": "Vườn ông Tư", "commune": "Mỹ Xương"}
    )
    actors.post("/api/v1/products", "htx", {"code": "xoai", "name_vi": "Xoài cát Hòa Lộc"})
    return actors
