"""Bearer authentication, the admin token, organisations and their keys."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.support.app import ADMIN, Actors
from tests.support.bodies import (
    A_TIMESTAMP,
    INVALID_KEY,
    MISSING_KEY,
    WRONG_ROLE,
    Matches,
    error,
    invalid,
)

API_KEY = Matches(re.compile(r"stk_[A-Za-z0-9_-]{43}"))


def test_admin_token_creates_an_organisation_with_a_one_time_key(client: TestClient) -> None:
    body = {"slug": "htx-my-xuong", "name": "HTX Mỹ Xương", "role": "cooperative"}
    response = client.post("/api/v1/orgs", json=body, headers=ADMIN)
    assert response.status_code == 201
    assert response.json() == {**body, "api_key": API_KEY, "key_custody": "client"}
    key = response.json()["api_key"]
    me = client.get("/api/v1/orgs/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status_code == 200
    assert me.json() == {"slug": "htx-my-xuong", "name": "HTX Mỹ Xương", "role": "cooperative"}


def test_admin_token_authenticates_as_the_admin_organisation(client: TestClient) -> None:
    response = client.get("/api/v1/orgs/me", headers=ADMIN)
    assert response.status_code == 200
    assert response.json() == {
        "slug": "admin",
        "name": "Quản trị SenTrace / SenTrace administration",
        "role": "admin",
    }


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, MISSING_KEY),
        ({"Authorization": "Bearer stk_not-a-real-key"}, INVALID_KEY),
        ({"Authorization": "Bearer "}, INVALID_KEY),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, INVALID_KEY),
        ({"Authorization": "Bearer test-admin-token-0123456789abcdeX"}, INVALID_KEY),
    ],
)
def test_missing_or_wrong_credentials_get_401_with_a_bearer_challenge(
    client: TestClient, headers: dict[str, str], detail: str
) -> None:
    response = client.get("/api/v1/orgs/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json() == error(detail, "not_authenticated")


def test_writes_without_a_key_get_401(client: TestClient) -> None:
    response = client.post("/api/v1/farms", json={"code": "F", "name": "n", "commune": "c"})
    assert response.status_code == 401
    assert response.json() == error(MISSING_KEY, "not_authenticated")


def test_only_the_admin_creates_organisations(actors: Actors) -> None:
    coop = actors.org("htx", "cooperative")
    response = actors.client.post(
        "/api/v1/orgs", json={"slug": "x1", "name": "X", "role": "packer"}, headers=coop
    )
    assert response.status_code == 403
    assert response.json() == error(WRONG_ROLE, "permission_denied")


@pytest.mark.parametrize("slug", ["htx", "admin"])
def test_taken_or_reserved_slugs_conflict(actors: Actors, slug: str) -> None:
    actors.org("htx", "cooperative")
    response = actors.client.post(
        "/api/v1/orgs", json={"slug": slug, "name": "X", "role": "packer"}, headers=ADMIN
    )
    assert response.status_code == 409
    assert response.json() == error("Slug đã được dùng / slug already taken", "conflict", "slug")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"slug": "Bad Slug", "name": "X", "role": "packer"},
            invalid(
                "Slug gồm 2–64 ký tự a–z, 0–9, '-' / slug must be 2–64 of a–z, 0–9, '-'", "slug"
            ),
        ),
        (
            {"slug": "ok-slug", "name": "X", "role": "admin"},
            invalid(
                "Vai trò phải là một trong / role must be one of: "
                "cooperative, packer, distributor, retailer, regulator",
                "role",
            ),
        ),
        (
            {"slug": "ok-slug", "name": "   ", "role": "packer"},
            invalid("Không được để trống / must not be empty", "name"),
        ),
    ],
)
def test_organisation_fields_are_validated(
    client: TestClient, body: dict[str, str], expected: dict[str, str]
) -> None:
    response = client.post("/api/v1/orgs", json=body, headers=ADMIN)
    assert response.status_code == 422
    assert response.json() == expected


def test_a_revoked_key_stops_working_and_a_new_key_works(actors: Actors) -> None:
    old = actors.org("dg", "packer")
    issued = actors.client.post("/api/v1/orgs/dg/keys", json={"label": "máy in"}, headers=ADMIN)
    assert issued.status_code == 201
    new_key = issued.json()["api_key"]
    assert issued.json() == {
        "id": 2,
        "prefix": new_key[:12],
        "label": "máy in",
        "created_at": A_TIMESTAMP,
        "revoked_at": None,
        "api_key": API_KEY,
    }
    revoked = actors.client.delete("/api/v1/orgs/dg/keys/1", headers=ADMIN)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] == A_TIMESTAMP
    response = actors.client.get("/api/v1/orgs/me", headers=old)
    assert response.status_code == 401
    assert response.json() == error(INVALID_KEY, "not_authenticated")
    fresh = actors.client.get("/api/v1/orgs/me", headers={"Authorization": f"Bearer {new_key}"})
    assert fresh.status_code == 200
    again = actors.client.post("/api/v1/orgs/dg/keys/1/revoke", headers=ADMIN)
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]


def test_key_listing_never_shows_keys_or_digests(actors: Actors) -> None:
    actors.org("dg", "packer")
    response = actors.client.get("/api/v1/orgs/dg/keys", headers=ADMIN)
    assert response.status_code == 200
    (row,) = response.json()
    assert set(row) == {"id", "prefix", "label", "created_at", "revoked_at"}
    assert row["label"] == "initial"


def test_keys_of_an_unknown_organisation_are_404(client: TestClient) -> None:
    response = client.post("/api/v1/orgs/nobody/keys", json={}, headers=ADMIN)
    assert response.status_code == 404
    assert response.json() == error("Không tìm thấy tổ chức / organisation not found", "not_found")


def test_revoking_a_key_of_another_organisation_is_404(actors: Actors) -> None:
    actors.org("dg", "packer")
    actors.org("htx", "cooperative")
    response = actors.client.delete("/api/v1/orgs/htx/keys/1", headers=ADMIN)
    assert response.status_code == 404
    assert response.json() == error("Không tìm thấy khóa API / API key not found", "not_found")
