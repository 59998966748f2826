"""A real app on a real SQLite file, with a small Đồng Tháp cast of organisations and users.

No chain is attached: these tests are about the web layer (sessions, CSRF, forms, access),
and every write still goes through the real services into the real database.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backend.app import create_app
from backend.config import Settings
from backend.db import session_scope
from backend.runtime import Runtime
from backend.services.accounts.orgs import create_organisation, ensure_admin_org
from backend.services.accounts.users import create_user
from backend.services.catalog.farms import create_farm
from backend.services.catalog.products import create_product
from backend.services.ledger.lots import create_harvest_lot
from backend.timeutil import utcnow

PASSWORD = "mat-khau-dong-thap"
CSRF_PATTERN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Cast:
    """Usernames of the people in the test world, one per organisation."""

    coop: str = "coop"
    packer: str = "packer"
    other_packer: str = "packer2"
    regulator: str = "regulator"
    admin: str = "admin"
    lot_code: str = "XOAI-T01"


def _settings(data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir,
        login_free_attempts=3,
        login_account_free_attempts=6,
        worker_enabled=False,
    )


def _populate(runtime: Runtime, people: Cast) -> None:
    """Organisations, users, a farm, a product and one harvested lot held by the cooperative."""
    with session_scope(runtime.engine) as session:
        coop, _ = create_organisation(
            session,
            slug="htx-xoai-my-xuong",
            name="HTX Xoài Mỹ Xương",
            role="cooperative",
            key_custody="custodial",
            settings=runtime.settings,
        )
        create_organisation(
            session,
            slug="sadec-pack",
            name="Đóng gói Sa Đéc",
            role="packer",
            key_custody="custodial",
            settings=runtime.settings,
        )
        create_organisation(
            session,
            slug="laivung-pack",
            name="Kho Lai Vung",
            role="packer",
            key_custody="custodial",
            settings=runtime.settings,
        )
        create_organisation(
            session,
            slug="chi-cuc",
            name="Chi cục QLCL",
            role="regulator",
            key_custody="custodial",
            settings=runtime.settings,
        )
        admin = ensure_admin_org(session)
        for username, slug in (
            (people.coop, "htx-xoai-my-xuong"),
            (people.packer, "sadec-pack"),
            (people.other_packer, "laivung-pack"),
            (people.regulator, "chi-cuc"),
            (people.admin, admin.slug),
        ):
            create_user(session, org_slug=slug, username=username, password=PASSWORD)
        create_farm(session, org=coop, code="MX-01", name="Vườn ông Tư", commune="Mỹ Xương")
        create_product(
            session, org=coop, code="xoai-cat-chu", name_vi="Xoài cát Chu", name_en="Cat Chu mango"
        )
        create_harvest_lot(
            session,
            org=coop,
            product_code="xoai-cat-chu",
            farm_code="MX-01",
            quantity="1200",
            unit="kg",
            harvested_at=utcnow() - timedelta(hours=3),
            code=people.lot_code,
            settings=runtime.settings,
        )


@pytest.fixture(scope="session")
def populated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the schema and the cast, built once (migrations and argon2 are slow)."""
    folder = tmp_path_factory.mktemp("operator-template") / "data"
    runtime = Runtime.create(_settings(folder))
    try:
        _populate(runtime, Cast())
    finally:
        runtime.close()
    return folder


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return _settings(tmp_path / "data")


@pytest.fixture
def runtime(settings: Settings, request: pytest.FixtureRequest) -> Iterator[Runtime]:
    """The app's runtime on this test's own copy of the populated data folder."""
    template: Path = request.getfixturevalue("populated_template")
    shutil.copytree(template, settings.data_dir)
    created = Runtime.create(settings)
    try:
        yield created
    finally:
        created.close()


@pytest.fixture
def cast() -> Cast:
    """Who is who in the (already populated) test world."""
    return Cast()


@pytest.fixture
def app_client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), follow_redirects=False) as client:
        yield client


def csrf_from(html: str) -> str:
    match = CSRF_PATTERN.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign ``username`` in and return the session's CSRF token for further forms."""
    token = csrf_from(client.get("/app/login").text)
    response = client.post(
        "/app/login", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 303, response.text
    return csrf_from(client.get("/app/").text)


@pytest.fixture
def client_factory(runtime: Runtime) -> Iterator[object]:
    """Independent browsers (cookie jars) on the same app, for tests with several people."""
    app = create_app(runtime)
    clients: list[TestClient] = []

    def make() -> TestClient:
        client = TestClient(app, follow_redirects=False)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
