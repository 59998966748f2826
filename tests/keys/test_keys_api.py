"""The signing-key endpoints: who may list, add and revoke an organisation's keys."""

from __future__ import annotations

from eth_account import Account
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.models import OrgKey
from backend.runtime import Runtime
from tests.support.app import ADMIN, Actors

KEYS = "/api/v1/orgs/{}/signing-keys"


def test_an_org_registers_lists_and_revokes_its_own_key(actors: Actors) -> None:
    htx = actors.org("htx", "cooperative", key_custody="client")
    address = Account.create().address
    added = actors.client.post(
        KEYS.format("htx"), json={"custody": "client", "address": address}, headers=htx
    )
    assert added.status_code == 201, added.text
    assert added.json()["address"] == address and added.json()["status"] == "pending"
    listed = actors.client.get(KEYS.format("htx"), headers=htx).json()
    assert [(k["address"], k["custody"]) for k in listed] == [(address, "client")]
    revoked = actors.client.post(f"{KEYS.format('htx')}/{address}/revoke", headers=htx)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"


def test_another_org_can_neither_register_nor_revoke_nor_list(actors: Actors) -> None:
    actors.org("htx", "cooperative", key_custody="client")
    other = actors.org("htx2", "cooperative", key_custody="client")
    address = Account.create().address
    by_admin = actors.client.post(
        KEYS.format("htx"), json={"custody": "browser", "address": address}, headers=ADMIN
    )
    assert by_admin.status_code == 201
    theirs = Account.create().address
    refused = actors.client.post(
        KEYS.format("htx"), json={"custody": "client", "address": theirs}, headers=other
    )
    assert refused.status_code == 403 and refused.json()["field"] == "slug"
    revoke = actors.client.post(f"{KEYS.format('htx')}/{address}/revoke", headers=other)
    assert revoke.status_code == 403 and revoke.json()["field"] == "slug"
    assert actors.client.get(KEYS.format("htx"), headers=other).status_code == 403
    # Its own slug with another organisation's key names nothing of theirs.
    mine = actors.client.post(f"{KEYS.format('htx2')}/{address}/revoke", headers=other)
    assert mine.status_code == 404 and mine.json()["field"] == "address"


def test_errors_name_the_field(actors: Actors) -> None:
    htx = actors.org("htx", "cooperative", key_custody="client")
    cases = [
        ({"custody": "client", "address": "0x12"}, 422, "address"),
        ({"custody": "client"}, 422, "address"),
        ({"custody": "paper", "address": Account.create().address}, 422, "custody"),
        ({"custody": "client", "address": Account.create().address, "x": 1}, 422, "x"),
    ]
    for body, status, field in cases:
        response = actors.client.post(KEYS.format("htx"), json=body, headers=htx)
        assert (response.status_code, response.json()["field"]) == (status, field), body
    address = Account.create().address
    actors.client.post(
        KEYS.format("htx"), json={"custody": "client", "address": address}, headers=htx
    )
    again = actors.client.post(
        KEYS.format("htx"), json={"custody": "client", "address": address}, headers=htx
    )
    assert (again.status_code, again.json()["field"]) == (409, "address")
    unknown = actors.client.get(KEYS.format("nobody"), headers=ADMIN)
    assert (unknown.status_code, unknown.json()["field"]) == (404, "slug")


def test_a_custodial_org_gets_its_first_key_at_creation(
    client: TestClient, runtime: Runtime
) -> None:
    body = {"slug": "htx", "name": "HTX", "role": "cooperative", "key_custody": "custodial"}
    created = client.post("/api/v1/orgs", json=body, headers=ADMIN)
    assert created.status_code == 201, created.text
    assert created.json()["key_custody"] == "custodial"
    headers = {"Authorization": f"Bearer {created.json()['api_key']}"}
    (key,) = client.get(KEYS.format("htx"), headers=headers).json()
    assert key["custody"] == "custodial" and key["status"] == "pending"
    assert "encrypted_key" not in key
    bad = client.post(
        "/api/v1/orgs", json={**body, "slug": "htx-b", "key_custody": "paper"}, headers=ADMIN
    )
    assert (bad.status_code, bad.json()["field"]) == (422, "key_custody")
    plain = client.post(
        "/api/v1/orgs", json={**body, "slug": "htx-c", "key_custody": "client"}, headers=ADMIN
    )
    assert plain.json()["key_custody"] == "client"
    with Session(runtime.engine) as session:
        assert len(session.exec(select(OrgKey)).all()) == 1
