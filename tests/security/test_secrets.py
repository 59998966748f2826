"""Secrets stay secret: API keys, passwords, the admin token and the anchor key.

* A whole flow (organisations and keys, a revoked key, operator sign-ins right and wrong, API
  writes with good and bad keys, anchoring) runs with every logger at DEBUG (SQLAlchemy's
  statements and parameters included); no secret appears in any log line.
* After creation no response shows a key again, and no database table holds one.
* The anchor key comes from the settings or an encrypted keystore, and signs the anchors.
* The public demo key is refused in production, by the settings and by ``sentrace serve``,
  which exits non-zero with a one-line reason that repeats no secret.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from pydantic import SecretStr, ValidationError
from sqlalchemy import text
from sqlmodel import SQLModel

from backend.app import create_app
from backend.chain import ChainConfigError
from backend.config import DEMO_ANCHOR_PRIVATE_KEY, Environment, Settings
from backend.db import session_scope
from backend.hashing import from_hex
from backend.runtime import Runtime
from backend.services.accounts.users import create_user
from tests.support.app import ADMIN, ADMIN_TOKEN, make_settings
from tests.support.server import sentrace_command, server_env

PASSWORD = "mật-khẩu-Đồng-Tháp-2026"
WRONG_PASSWORD = "đoán-bừa-mật-khẩu-2026"
SESSION_SECRET = "phiên-bí-mật-" + "k" * 40
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Flow:
    client: TestClient
    runtime: Runtime
    anchor_key: str
    api_keys: list[str] = field(default_factory=list)
    responses: list[str] = field(default_factory=list)  # every body after the keys were issued

    def secrets(self) -> list[str]:
        bare = self.anchor_key.removeprefix("0x")
        return [*self.api_keys, ADMIN_TOKEN, PASSWORD, WRONG_PASSWORD, SESSION_SECRET, bare]


def runtime_with_key(root: Path, anchor_key: str, **overrides: Any) -> Runtime:
    settings = make_settings(
        root / "data",
        f"sqlite:///{root / 'ledger.db'}",
        anchor_private_key=anchor_key,
        session_secret=SESSION_SECRET,
        **overrides,
    )
    return Runtime.start(settings, start_worker=False)


@pytest.fixture
def flow(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[Flow]:
    caplog.set_level(logging.DEBUG)
    # SQLAlchemy holds its own loggers at WARNING unless asked: ask, so that every statement
    # and its parameters are logged too.
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    anchor_key = Account.create().key.to_0x_hex()
    runtime = runtime_with_key(tmp_path, anchor_key)
    try:
        with TestClient(create_app(runtime), follow_redirects=False) as client:
            done = Flow(client, runtime, anchor_key)
            run_flow(done)
            yield done
    finally:
        runtime.close()


def run_flow(flow: Flow) -> None:
    client = flow.client

    def call(method: str, path: str, key: str | None = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {key}"} if key else ADMIN
        response = client.request(method, path, headers=headers, **kwargs)
        flow.responses.append(response.text)
        return response

    for slug, role in (("htx", "cooperative"), ("dg", "packer")):
        made = call(
            "POST",
            "/api/v1/orgs",
            json={"slug": slug, "name": slug, "role": role, "key_custody": "custodial"},
        )
        flow.api_keys.append(made.json()["api_key"])
    coop, packer = flow.api_keys
    extra = call("POST", "/api/v1/orgs/htx/keys", json={"label": "máy quét"}).json()
    flow.api_keys.append(extra["api_key"])
    call("POST", f"/api/v1/orgs/htx/keys/{extra['id']}/revoke")
    assert call("GET", "/api/v1/orgs/me", extra["api_key"]).status_code == 401  # revoked
    assert call("GET", "/api/v1/orgs/me", "stk_" + "x" * 43).status_code == 401  # made up
    call("GET", "/api/v1/orgs/htx/keys")
    call("GET", "/api/v1/orgs/me", coop)

    farm = {"code": "F-01", "name": "Vườn ông Tư", "commune": "Mỹ Xương"}
    assert call("POST", "/api/v1/farms", coop, json=farm).status_code == 201
    call("POST", "/api/v1/products", coop, json={"code": "xoai", "name_vi": "Xoài"})
    lot = {"code": "S-1", "product": "xoai", "farm": "F-01", "quantity": "10", "unit": "kg"}
    call("POST", "/api/v1/lots", coop, json={**lot, "harvested_at": "2026-05-01T06:30:00Z"})
    call("POST", "/api/v1/lots/S-1/transfer", coop, json={"to": "dg"})
    call("POST", "/api/v1/lots/S-1/receive", packer, json={})
    note = {"type": "note", "occurred_at": "2026-05-02T08:00:00Z", "data": {"text": "ok"}}
    call("POST", "/api/v1/lots/S-1/events", packer, json=note)
    for _ in range(10):
        if not flow.runtime.anchoring.run_once(force=True, wait=True).more_work:
            break
    call("GET", "/api/v1/lots/S-1/verification")
    call("GET", "/api/v1/lots/S-1/proof")
    call("GET", "/l/S-1")

    with session_scope(flow.runtime.engine) as session:
        create_user(session, org_slug="htx", username="chi-lan", password=PASSWORD)
    for password in (WRONG_PASSWORD, PASSWORD):
        token = CSRF.search(client.get("/app/login").text)
        assert token is not None
        form = {"username": "chi-lan", "password": password, "csrf_token": token.group(1)}
        answer = client.post("/app/login", data=form)
        flow.responses.append(answer.text)
    assert answer.status_code in (302, 303), answer.text
    flow.responses.append(client.get("/app").text)


def test_no_secret_reaches_any_log_line(flow: Flow, caplog: pytest.LogCaptureFixture) -> None:
    records = caplog.get_records("setup")  # the flow ran in the fixture
    names = {record.name.split(".")[0] for record in records}
    assert {"backend", "sqlalchemy"} <= names, names  # DEBUG really was on for both
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    lines = "\n".join(formatter.format(record) for record in records)
    for secret in flow.secrets():
        assert secret not in lines, f"a secret ({secret[:6]}…) was logged"


def test_no_response_repeats_a_key_after_creation(flow: Flow) -> None:
    issued = flow.responses[:3]  # the two organisations and the extra key: shown once there
    later = "\n".join(flow.responses[3:])
    for key, body in zip(flow.api_keys, [issued[0], issued[1], issued[2]], strict=True):
        assert key in body
        assert key not in later
    for secret in (PASSWORD, WRONG_PASSWORD, ADMIN_TOKEN, flow.anchor_key.removeprefix("0x")):
        assert secret not in later


def database_text(runtime: Runtime) -> str:
    """Every row of every table, as text: what someone with a copy of the database sees."""
    chunks = []
    with runtime.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            rows = connection.execute(text(f'SELECT * FROM "{table.name}"')).all()
            chunks.extend(repr(tuple(row)) for row in rows)
    return "\n".join(chunks)


def test_no_secret_is_stored_in_the_database(flow: Flow) -> None:
    stored = database_text(flow.runtime).lower()  # key digests and 12-character prefixes only
    for secret in flow.secrets():
        assert secret.lower() not in stored


def test_an_idempotent_key_issue_neither_stores_nor_replays_the_key(tmp_path: Path) -> None:
    runtime = runtime_with_key(tmp_path, Account.create().key.to_0x_hex())
    try:
        with TestClient(create_app(runtime)) as client:
            body = {"slug": "htx", "name": "HTX", "role": "cooperative"}
            headers = {**ADMIN, "Idempotency-Key": "org-htx-1"}
            first = client.post("/api/v1/orgs", json=body, headers=headers)
            key = first.json()["api_key"]
            again = client.post("/api/v1/orgs", json=body, headers=headers)
            assert again.status_code == 201
            assert key not in again.text
            assert key not in database_text(runtime)
            assert again.headers["Idempotent-Replayed"] == "true"
            replayed = again.json()
            assert replayed["api_key"] is None
            assert "một lần" in replayed["api_key_shown_once"]
            assert "shown only once" in replayed["api_key_shown_once"]
            assert {k: v for k, v in replayed.items() if not k.startswith("api_key")} == {
                k: v for k, v in first.json().items() if not k.startswith("api_key")
            }
            assert "api_key_shown_once" not in first.json()

            key_headers = {**ADMIN, "Idempotency-Key": "htx-key-2"}
            issued = client.post(
                "/api/v1/orgs/htx/keys", json={"label": "kho"}, headers=key_headers
            )
            assert issued.status_code == 201
            second = issued.json()["api_key"]
            repeat = client.post(
                "/api/v1/orgs/htx/keys", json={"label": "kho"}, headers=key_headers
            )
            assert repeat.status_code == 201
            assert repeat.json()["api_key"] is None
            assert repeat.json()["id"] == issued.json()["id"]
            assert second not in repeat.text
            assert second not in database_text(runtime)
            listed = client.get("/api/v1/orgs/htx/keys", headers=ADMIN).json()
            assert len(listed) == 2  # the first key and one issued key: nothing issued twice
            for issued_key in (key, second):
                me = client.get(
                    "/api/v1/orgs/me", headers={"Authorization": f"Bearer {issued_key}"}
                )
                assert me.status_code == 200 and me.json()["slug"] == "htx"
    finally:
        runtime.close()


# ------------------------------------------------------------------------ the anchor key


def test_anchors_are_signed_by_the_key_from_the_settings(flow: Flow) -> None:
    chain = flow.runtime.require_chain()
    expected = Account.from_key(flow.anchor_key).address
    assert chain.signer == expected
    with flow.runtime.engine.connect() as connection:
        roots = [row[0] for row in connection.execute(text("SELECT root FROM batch"))]
    assert roots
    for root in roots:
        anchor = chain.anchor_of(from_hex(root))
        assert anchor is not None and anchor.anchorer == expected


def test_anchors_are_signed_by_the_key_in_an_encrypted_keystore(tmp_path: Path) -> None:
    account = Account.create()
    keystore = tmp_path / "anchor-keystore.json"
    keystore.write_text(json.dumps(Account.encrypt(account.key, "mật khẩu kho khóa")))
    settings = make_settings(
        tmp_path / "data",
        f"sqlite:///{tmp_path / 'ledger.db'}",
        anchor_keystore=keystore,
        anchor_keystore_password="mật khẩu kho khóa",
    )
    runtime = Runtime.start(settings, start_worker=False)
    try:
        assert runtime.require_chain().signer == account.address
    finally:
        runtime.close()

    wrong = settings.model_copy(
        update={"anchor_keystore_password": SecretStr("sai"), "data_dir": tmp_path / "d2"}
    )
    with pytest.raises(ChainConfigError) as refused:
        Runtime.start(wrong, start_worker=False)
    assert str(keystore) in str(refused.value)
    assert account.key.hex() not in str(refused.value)


# --------------------------------------------------------------------- production rules


def test_the_settings_refuse_the_demo_key_in_production(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(
            env=Environment.PRODUCTION,
            data_dir=tmp_path,
            anchor_private_key=DEMO_ANCHOR_PRIVATE_KEY,
            chain_rpc_url="http://127.0.0.1:8545",
            session_secret=SESSION_SECRET,
        )
    assert "public demo key" in str(refused.value)


def test_sentrace_serve_refuses_the_demo_key_in_production_with_a_clear_message(
    tmp_path: Path,
) -> None:
    env = server_env(
        tmp_path / "data",
        env="production",
        anchor_private_key=DEMO_ANCHOR_PRIVATE_KEY,
        chain_rpc_url="http://127.0.0.1:9",
        session_secret=SESSION_SECRET,
        admin_token="t" * 32,
    )
    done = subprocess.run(
        [*sentrace_command(), "serve", "--port", "9"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    assert "SENTRACE_ANCHOR_PRIVATE_KEY is the public demo key: refused in production" in output
    assert "Traceback" not in output, output
    assert len(output.strip().splitlines()) <= 3, output
    for secret in (DEMO_ANCHOR_PRIVATE_KEY.removeprefix("0x"), SESSION_SECRET[-12:], "t" * 32):
        assert secret not in output
