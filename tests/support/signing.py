"""Helpers for tests of signed writes: organisations that hold their own keys, and a client
that answers the server's 428 by signing each statement of the draft with eth-account."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient

from backend.hashing.eip712 import sign_typed_data
from tests.support.app import ADMIN, org_body

DRAFT = "X-SenTrace-Draft"
SIGNATURES = "X-SenTrace-Signatures"


def sign_draft(draft: dict[str, Any], account: LocalAccount) -> str:
    """The ``X-SenTrace-Signatures`` value: each statement's typed data signed in order."""
    return ",".join(
        sign_typed_data(item["typed_data"], bytes(account.key)) for item in draft["sign"]
    )


def signed_headers(draft: dict[str, Any], account: LocalAccount) -> dict[str, str]:
    return {DRAFT: draft["id"], SIGNATURES: sign_draft(draft, account)}


@dataclass
class Signers:
    """Organisations made through the API with a client-held key each (``keys[slug]``)."""

    client: TestClient
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    keys: dict[str, LocalAccount] = field(default_factory=dict)

    def org(self, slug: str, role: str, name: str | None = None, custody: str = "client") -> None:
        made = self.client.post(
            "/api/v1/orgs", json=org_body(slug, role, name, key_custody=custody), headers=ADMIN
        )
        assert made.status_code == 201, made.text
        self.headers[slug] = {"Authorization": f"Bearer {made.json()['api_key']}"}
        if custody == "custodial":
            return
        account = Account.create()
        registered = self.client.post(
            f"/api/v1/orgs/{slug}/signing-keys",
            json={"custody": custody, "address": account.address},
            headers=self.headers[slug],
        )
        assert registered.status_code == 201, registered.text
        self.keys[slug] = account

    def ask(self, path: str, as_org: str, body: Any, **headers: str) -> Any:
        """POST without signatures: the raw response (a 428 for a client-held organisation)."""
        return self.client.post(path, json=body, headers={**self.headers[as_org], **headers})

    def send(self, path: str, as_org: str, body: Any, draft: dict[str, Any], **extra: str) -> Any:
        """POST again with the draft signed by the organisation's key."""
        headers = {**self.headers[as_org], **signed_headers(draft, self.keys[as_org]), **extra}
        return self.client.post(path, json=body, headers=headers)

    def post(self, path: str, as_org: str, body: Any) -> Any:
        """The whole protocol: 428, sign, send again; returns the final JSON (2xx expected)."""
        first = self.ask(path, as_org, body)
        if first.status_code in (200, 201):  # nothing to sign (a farm, a product)
            return first.json()
        assert first.status_code == 428, first.text
        again = self.send(path, as_org, body, first.json()["draft"])
        assert again.status_code in (200, 201), again.text
        return again.json()
