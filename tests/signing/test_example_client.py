"""docs/examples/sign_client.py, run as a cooperative would run it, against a live server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from eth_account import Account

from tests.support.app import ADMIN, harvest_body, org_body
from tests.support.server import ServerFactory, server_env

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "sign_client.py"
PASSWORD = "htx-secret"


@pytest.mark.slow  # the example client run end to end against a live server
def test_example_client_signs_and_writes_end_to_end(
    server_factory: ServerFactory, tmp_path: Path
) -> None:
    server = server_factory(server_env(tmp_path / "data", chain_rpc_url="memory"))
    account = Account.create()
    keystore = tmp_path / "htx-key.json"
    keystore.write_text(json.dumps(Account.encrypt(account.key, PASSWORD)), encoding="utf-8")
    with server.client() as http:
        made = http.post(
            "/api/v1/orgs", json=org_body("htx", "cooperative", key_custody="client"), headers=ADMIN
        )
        assert made.status_code == 201, made.text
        api_key = made.json()["api_key"]
        auth = {"Authorization": f"Bearer {api_key}"}
        assert (
            http.post(
                "/api/v1/orgs/htx/signing-keys",
                json={"custody": "client", "address": account.address},
                headers=auth,
            ).status_code
            == 201
        )
        for path, body in (
            ("/api/v1/farms", {"code": "F-01", "name": "Vườn", "commune": "Mỹ Xương"}),
            ("/api/v1/products", {"code": "xoai", "name_vi": "Xoài cát Hòa Lộc"}),
        ):
            assert http.post(path, json=body, headers=auth).status_code == 201

    env = {
        "PATH": os.environ.get("PATH", ""),
        "SENTRACE_URL": server.url,
        "SENTRACE_API_KEY": api_key,
        "SENTRACE_KEYSTORE": str(keystore),
        "SENTRACE_KEYSTORE_PASSWORD": PASSWORD,
    }
    note = {"type": "note", "occurred_at": "2026-05-02T08:00:00+07:00", "data": {"text": "Tưới"}}
    for path, body in (
        ("/api/v1/lots", harvest_body(code="L-EX-1")),
        ("/api/v1/lots/L-EX-1/events", note),
    ):
        run = subprocess.run(
            [sys.executable, str(EXAMPLE), path, json.dumps(body)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        assert run.stdout.startswith("201 ")

    with server.client() as http:
        lot = http.get("/api/v1/lots/L-EX-1").json()
    assert [e["type"] for e in lot["events"]] == ["harvest", "note"]
