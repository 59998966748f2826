"""Operator sign-in against a real ``sentrace serve``: throttle, revocation, Secure cookies.

Two clients differ the way two places do, by address (127.0.0.1 and 127.0.0.2, both loopback
on Linux). A guesser at one address must slow down only that address: the owner signs in from
the other at once. Signing out deletes the server-side session, so a copy of the old cookie is
refused. The cookie is Secure when the request came over https through a proxy the server
trusts (uvicorn trusts forwarded headers from 127.0.0.1 by default), and only then.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from tests.support.server import ServerProcess, sentrace_command, server_env

PASSWORD = "mat-khau-dung-roi-123"
USERNAME = "chu-vuon"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
GUESSES = 50


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    root = tmp_path_factory.mktemp("sessions")
    env = server_env(root / "data", chain_rpc_url="memory", worker_enabled=False)
    command = ["user", "create", "--org", "htx", "--org-name", "HTX Mỹ Xương"]
    command += ["--role", "cooperative", "--username", USERNAME, "--password", PASSWORD]
    made = subprocess.run(
        [*sentrace_command(), *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    process = ServerProcess(env=env, log_path=root / "server.log").start()
    try:
        yield process
    finally:
        process.stop()


def client_from(server: ServerProcess, address: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=server.url, transport=transport, timeout=30)


def attempt(client: httpx.Client, password: str, **headers: str) -> httpx.Response:
    token = CSRF.search(client.get("/app/login", headers=headers).text)
    assert token, "the sign-in page carries a CSRF token"
    form = {"username": USERNAME, "password": password, "csrf_token": token.group(1)}
    return client.post("/app/login", data=form, headers=headers)


def test_fifty_wrong_passwords_from_one_address_do_not_keep_the_owner_out(
    server: ServerProcess,
) -> None:
    with client_from(server, "127.0.0.1") as guesser, client_from(server, "127.0.0.2") as owner:
        statuses = [attempt(guesser, f"doan-sai-{i:02d}").status_code for i in range(GUESSES)]
        assert statuses[:5] == [401] * 5  # SENTRACE_LOGIN_FREE_ATTEMPTS, default 5
        assert set(statuses[5:]) <= {401, 429} and 429 in statuses[5:]
        throttled = attempt(guesser, PASSWORD)  # even the right password waits here
        assert throttled.status_code == 429
        assert int(throttled.headers["retry-after"]) >= 1
        assert "Vui lòng thử lại sau" in throttled.text

        signed_in = attempt(owner, PASSWORD)
        assert signed_in.status_code == 303, signed_in.text
        assert owner.get("/app/").status_code == 200


def test_after_sign_out_the_old_cookie_is_refused(server: ServerProcess) -> None:
    with client_from(server, "127.0.0.3") as browser:
        assert attempt(browser, PASSWORD).status_code == 303
        dashboard = browser.get("/app/")
        assert dashboard.status_code == 200
        stolen = browser.cookies["sentrace_session"]
        token = CSRF.search(dashboard.text)
        assert token
        assert browser.post("/app/logout", data={"csrf_token": token.group(1)}).status_code == 303
    with client_from(server, "127.0.0.4") as thief:
        thief.cookies.set("sentrace_session", stolen)
        replay = thief.get("/app/")
        assert replay.status_code == 303
        assert replay.headers["location"].startswith("/app/login")


def test_the_cookie_is_secure_only_over_https_from_a_trusted_proxy(server: ServerProcess) -> None:
    https = {"X-Forwarded-Proto": "https"}
    with client_from(server, "127.0.0.1") as proxy:
        assert "secure" in proxy.get("/app/login", headers=https).headers["set-cookie"].lower()
        assert "secure" not in proxy.get("/app/login").headers["set-cookie"].lower()
    with client_from(server, "127.0.0.5") as stranger:  # not a trusted proxy: header ignored
        cookie = stranger.get("/app/login", headers=https).headers["set-cookie"].lower()
        assert "secure" not in cookie
