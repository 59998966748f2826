"""Helpers for tests of the app over a real database: settings, organisations, request bodies.

The fixtures built from these (``database_url``, ``runtime``, ``client``, ``actors``,
``supply_chain``) are in tests/support/fixtures_app.py. :class:`Actors` creates organisations
through the API itself and keeps their ``Authorization`` headers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from fastapi.testclient import TestClient

from backend.config import Environment, Settings
from backend.hashing.eip712 import SigningDomain
from backend.services.signing import FixedChainFacts

#: What statements are signed for when a test's runtime has no chain (no registry to name).
OFFLINE_DOMAIN = SigningDomain(chain_id=31337, verifying_contract="0x" + "5e" * 20)
OFFLINE_CHAIN = FixedChainFacts(OFFLINE_DOMAIN)

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


@dataclass
class Actors:
    """Organisations made through the API; ``headers[slug]`` authenticates as one."""

    client: TestClient
    headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def org(
        self, slug: str, role: str, name: str | None = None, *, key_custody: str = "custodial"
    ) -> dict[str, str]:
        """A new organisation; custodial unless asked otherwise, so the server signs its
        events and a test about something else need not sign (the signing tests ask for
        ``client``)."""
        response = self.client.post(
            "/api/v1/orgs",
            json=org_body(slug, role, name, key_custody=key_custody),
            headers=ADMIN,
        )
        assert response.status_code == 201, response.text
        self.headers[slug] = {"Authorization": f"Bearer {response.json()['api_key']}"}
        return self.headers[slug]

    def gs1_prefix(self, slug: str, prefix: str) -> None:
        """Register a GS1 company prefix to ``slug`` (as the admin), so that organisation may
        register products with GTINs under it."""
        body = {"prefix": prefix, "licence": f"GS1 Việt Nam, thử nghiệm {prefix}"}
        response = self.client.post(f"/api/v1/orgs/{slug}/gs1-prefixes", json=body, headers=ADMIN)
        assert response.status_code == 201, response.text

    def post(self, path: str, as_org: str, body: Any, **kwargs: Any) -> Any:
        """POST expecting success; returns the JSON body."""
        response = self.client.post(path, json=body, headers=self.headers[as_org], **kwargs)
        assert response.status_code in (200, 201), response.text
        return response.json()


def org_body(
    slug: str, role: str, name: str | None = None, *, key_custody: str = "custodial"
) -> dict[str, str]:
    """A ``POST /orgs`` body: custodial by default in tests (see :meth:`Actors.org`)."""
    return {"slug": slug, "name": name or slug.upper(), "role": role, "key_custody": key_custody}


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
