"""An application over a real database, registered once for the whole suite by tests/conftest.py.

Every test that asks for ``database_url`` (directly, or through ``runtime``, ``client``,
``actors`` or ``supply_chain``) runs twice: on a SQLite file in its tmp_path and on the
session's PostgreSQL database, emptied first (marked ``postgres``). ``runtime`` has no chain;
``chain_runtime`` adds the in-process chain (eth-tester) with its registry deployed and no
worker, so anchoring tests drive the passes themselves: a folder that wants it as its
``runtime`` says so in its own conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.app import create_app
from backend.http.signed_writes import chain_facts
from backend.runtime import Runtime
from backend.services.signing import set_default_chain
from tests.support.app import OFFLINE_CHAIN, Actors, empty_all_tables, make_settings


@pytest.fixture(autouse=True)
def signing_default_chain() -> Iterator[None]:
    """A service called outside any request signs a custodial organisation's statements for
    the offline domain (a ``chain_runtime`` test swaps in its own registry)."""
    set_default_chain(OFFLINE_CHAIN)
    try:
        yield
    finally:
        set_default_chain(None)


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.slow])]
)
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
def settings_overrides() -> dict[str, Any]:
    """Settings a test module changes for ``chain_runtime`` (override this fixture there)."""
    return {}


@pytest.fixture
def chain_runtime(
    tmp_path: Path, database_url: str, settings_overrides: dict[str, Any]
) -> Iterator[Runtime]:
    """A runtime on ``database_url`` with the in-process chain and its registry, no worker."""
    settings = make_settings(tmp_path / "data", database_url, **settings_overrides)
    instance = Runtime.start(settings, start_worker=False)
    set_default_chain(chain_facts(instance))  # services called directly sign for its registry
    try:
        yield instance
    finally:
        set_default_chain(OFFLINE_CHAIN)
        instance.close()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    """A TestClient of the app bound to ``runtime``."""
    with TestClient(create_app(runtime)) as test_client:
        yield test_client


@pytest.fixture
def actors(client: TestClient) -> Actors:
    return Actors(client)


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
