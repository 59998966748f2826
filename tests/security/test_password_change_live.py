"""Changing a password against a real ``sentrace serve``: every old session ends with it.

A person changes their own password at ``/app/account/password``; an admin resets one with
``sentrace user set-password``. Either way the old password no longer signs in, the new one
does, and a copy of a cookie from before the change is refused. A wrong current password is
answered 422 with the message under that field, and a post without the CSRF token is refused
before anything is checked.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from tests.support.server import ServerProcess, sentrace_command, server_env

USERNAME = "ke-toan"
FIRST = "mat-khau-ban-dau-123"
SECOND = "mat-khau-thu-hai-456"
THIRD = "mat-khau-admin-dat-789"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FORM = "/app/account/password"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("password-change")
    made = server_env(root / "data", chain_rpc_url="memory", worker_enabled=False)
    command = ["user", "create", "--org", "htx", "--org-name", "HTX Mỹ Xương"]
    command += ["--role", "cooperative", "--username", USERNAME, "--password", FIRST]
    _sentrace(made, command)
    return made


@pytest.fixture(scope="module")
def server(
    env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    log = tmp_path_factory.mktemp("password-change-log") / "server.log"
    process = ServerProcess(env=env, log_path=log).start()
    try:
        yield process
    finally:
        process.stop()


def _sentrace(
    env: dict[str, str], arguments: list[str], *, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [*sentrace_command(), *arguments],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _csrf(page: httpx.Response) -> str:
    token = CSRF.search(page.text)
    assert token, "the page carries a CSRF token"
    return token.group(1)


def browser_of(server: ServerProcess) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=30)


def sign_in(browser: httpx.Client, password: str) -> httpx.Response:
    form = {"username": USERNAME, "password": password}
    form["csrf_token"] = _csrf(browser.get("/app/login"))
    return browser.post("/app/login", data=form)


def sign_in_status(server: ServerProcess, password: str) -> int:
    """The answer to a sign-in from a fresh browser (303 signed in, 401 refused)."""
    with browser_of(server) as browser:
        return sign_in(browser, password).status_code


def change(browser: httpx.Client, current: str, new: str, again: str) -> httpx.Response:
    form = {"current_password": current, "new_password": new, "new_password_again": again}
    form["csrf_token"] = _csrf(browser.get(FORM))
    return browser.post(FORM, data=form)


def test_a_wrong_current_password_is_422_under_its_field(server: ServerProcess) -> None:
    with browser_of(server) as browser:
        signed_in = sign_in(browser, FIRST)
        assert signed_in.status_code == 303, signed_in.text
        refused = change(browser, "doan-sai-mat-khau", SECOND, SECOND)
        assert refused.status_code == 422
        assert 'id="e-current_password">Mật khẩu hiện tại không đúng</p>' in refused.text
        assert "doan-sai-mat-khau" not in refused.text
        assert SECOND not in refused.text
        assert browser.get("/app/").status_code == 200  # nothing changed: still signed in
    assert sign_in_status(server, FIRST) == 303


def test_new_passwords_that_differ_or_are_short_are_422_under_their_fields(
    server: ServerProcess,
) -> None:
    with browser_of(server) as browser:
        sign_in(browser, FIRST)
        differ = change(browser, FIRST, SECOND, SECOND + "x")
        assert differ.status_code == 422
        assert (
            'id="e-new_password_again">Hai lần nhập mật khẩu mới không giống nhau.' in differ.text
        )
        short = change(browser, FIRST, "ngan", "ngan")
        assert short.status_code == 422
        assert 'id="e-new_password">Mật khẩu cần ít nhất 10 ký tự</p>' in short.text


def test_a_post_without_the_csrf_token_is_refused(server: ServerProcess) -> None:
    with browser_of(server) as browser:
        sign_in(browser, FIRST)
        form = {"current_password": FIRST, "new_password": SECOND, "new_password_again": SECOND}
        refused = browser.post(FORM, data=form)
        assert refused.status_code == 403
        assert browser.get("/app/").status_code == 200
    assert sign_in_status(server, FIRST) == 303


def test_after_a_change_old_cookies_and_the_old_password_are_refused(
    server: ServerProcess,
) -> None:
    with browser_of(server) as other, browser_of(server) as browser:
        sign_in(other, FIRST)  # another device, signed in before the change
        sign_in(browser, FIRST)
        assert browser.get("/app/account/password").status_code == 200
        cookie = browser.cookies["sentrace_session"]
        changed = change(browser, FIRST, SECOND, SECOND)
        assert changed.status_code == 303, changed.text
        assert changed.headers["location"] == "/app/login?ok=password_changed"
        notice = browser.get(changed.headers["location"])
        assert "Đã đổi mật khẩu." in notice.text
        for stale in (other, browser):
            assert stale.get("/app/").headers["location"].startswith("/app/login")
    with httpx.Client(base_url=server.url, timeout=30) as thief:
        thief.cookies.set("sentrace_session", cookie)
        replay = thief.get("/app/")
        assert replay.status_code == 303
        assert replay.headers["location"].startswith("/app/login")
    assert sign_in_status(server, FIRST) == 401
    with browser_of(server) as new_browser:
        assert sign_in(new_browser, SECOND).status_code == 303
        assert new_browser.get("/app/").status_code == 200


def test_an_admin_reset_from_the_command_line_ends_the_sessions_too(
    server: ServerProcess, env: dict[str, str]
) -> None:
    with browser_of(server) as browser:
        signed_in = sign_in(browser, SECOND)
        assert signed_in.status_code == 303
        command = ["user", "set-password", "--username", USERNAME, "--password-file", "-"]
        done = _sentrace(env, command, stdin=THIRD + "\n")
        assert THIRD not in done.stdout + done.stderr
        assert browser.get("/app/").headers["location"].startswith("/app/login")
    assert sign_in_status(server, SECOND) == 401
    assert sign_in_status(server, THIRD) == 303


def test_guessing_the_current_password_meets_the_sign_in_throttle(server: ServerProcess) -> None:
    """Last in the module: it leaves this address throttled. A session left open on someone
    else's screen is no way around the sign-in throttle."""
    with browser_of(server) as browser:
        assert sign_in(browser, THIRD).status_code == 303
        statuses = [change(browser, f"doan-sai-{n}", SECOND, SECOND).status_code for n in range(6)]
        # Counted with this address's wrong sign-ins above, within the default 5 free ones.
        assert statuses[0] == 422 and 429 in statuses
        assert statuses == sorted(statuses), "once throttled, the form waits"
        throttled = change(browser, THIRD, SECOND, SECOND)  # even the right one must wait
        assert throttled.status_code == 429
        assert int(throttled.headers["Retry-After"]) >= 1
        assert "Đã nhập sai mật khẩu nhiều lần" in throttled.text
    assert sign_in_status(server, THIRD) == 429  # the address waits at the sign-in too
