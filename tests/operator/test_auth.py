"""Signing in and out, the session cookie, CSRF and lock-out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.models import Farm, User
from backend.runtime import Runtime
from backend.services.accounts.users import AccountLocked, InvalidCredentials, authenticate
from backend.timeutil import utcnow
from tests.operator.conftest import PASSWORD, Cast, csrf_from, sign_in


@pytest.mark.parametrize("path", ["/app/", "/app/lots", "/app/farms", "/app/lots/XOAI-T01"])
def test_private_pages_send_a_visitor_without_session_to_sign_in(
    app_client: TestClient, cast: Cast, path: str
) -> None:
    response = app_client.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/app/login?next=/app/")


def test_sign_in_page_is_vietnamese_first_and_switches_to_english(app_client: TestClient) -> None:
    vietnamese = app_client.get("/app/login")
    assert vietnamese.status_code == 200
    assert "Đăng nhập" in vietnamese.text
    english = app_client.get("/app/login?lang=en")
    assert "Sign in" in english.text
    assert "Sign in" in app_client.get("/app/login").text  # the choice is remembered


def test_session_cookie_is_httponly_and_samesite_lax(app_client: TestClient) -> None:
    cookie = app_client.get("/app/login").headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie  # the test base URL is plain http


def test_sign_in_then_sign_out(app_client: TestClient, cast: Cast) -> None:
    token = csrf_from(app_client.get("/app/login?next=/app/farms").text)
    response = app_client.post(
        "/app/login",
        data={
            "username": cast.coop,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "/app/farms",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/app/farms"
    dashboard = app_client.get("/app/")
    assert dashboard.status_code == 200
    assert "HTX Xoài Mỹ Xương" in dashboard.text
    logout = app_client.post("/app/logout", data={"csrf_token": csrf_from(dashboard.text)})
    assert logout.status_code == 303
    assert logout.headers["location"] == "/app/login?ok=signed_out"
    assert app_client.get("/app/").status_code == 303


def test_sign_in_refuses_an_outside_next_url(app_client: TestClient, cast: Cast) -> None:
    token = csrf_from(app_client.get("/app/login").text)
    response = app_client.post(
        "/app/login",
        data={
            "username": cast.coop,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "https://evil.example/phish",
        },
    )
    assert response.headers["location"] == "/app/"


def test_wrong_password_shows_an_error_and_keeps_the_username(
    app_client: TestClient, cast: Cast
) -> None:
    token = csrf_from(app_client.get("/app/login").text)
    response = app_client.post(
        "/app/login", data={"username": cast.coop, "password": "sai-mat-khau", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu." in response.text
    assert f'value="{cast.coop}"' in response.text
    assert "sai-mat-khau" not in response.text


def test_form_post_without_csrf_token_is_refused(
    app_client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    sign_in(app_client, cast.coop)
    farm = {"code": "MX-99", "name": "Vườn mới", "commune": "Mỹ Xương", "province": "Đồng Tháp"}
    missing = app_client.post("/app/farms", data=farm)
    assert missing.status_code == 403
    assert "Biểu mẫu đã hết hạn" in missing.text
    forged = app_client.post("/app/farms", data={**farm, "csrf_token": "forged-token"})
    assert forged.status_code == 403
    with Session(runtime.engine) as session:
        assert session.exec(select(Farm).where(Farm.code == "MX-99")).first() is None


def test_csrf_token_of_another_session_is_refused(client_factory: object, cast: Cast) -> None:
    alice, mallory = client_factory(), client_factory()  # type: ignore[operator]
    sign_in(alice, cast.coop)
    mallory_token = csrf_from(mallory.get("/app/login").text)
    response = alice.post(
        "/app/farms",
        data={"code": "MX-98", "name": "x", "commune": "Mỹ Xương", "csrf_token": mallory_token},
    )
    assert response.status_code == 403


def test_logout_without_csrf_token_is_refused(app_client: TestClient, cast: Cast) -> None:
    sign_in(app_client, cast.coop)
    assert app_client.post("/app/logout").status_code == 403
    assert app_client.get("/app/").status_code == 200


def test_wrong_passwords_lock_the_account_after_the_threshold(
    app_client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    token = csrf_from(app_client.get("/app/login").text)

    def attempt(password: str) -> int:
        response = app_client.post(
            "/app/login", data={"username": cast.packer, "password": password, "csrf_token": token}
        )
        return response.status_code

    assert [attempt("sai-1"), attempt("sai-2")] == [401, 401]
    assert attempt("sai-3") == 401  # the third failure locks (threshold is 3 in these tests)
    locked = app_client.post(
        "/app/login", data={"username": cast.packer, "password": PASSWORD, "csrf_token": token}
    )
    assert locked.status_code == 429
    assert "Tài khoản tạm khoá" in locked.text
    with Session(runtime.engine) as session:
        user = session.exec(select(User).where(User.username == cast.packer)).one()
        assert user.locked_until is not None
        user.locked_until = utcnow() - timedelta(seconds=1)  # the lock-out period has passed
        session.add(user)
        session.commit()
    assert attempt(PASSWORD) == 303


def test_authenticate_counts_failures_and_unlocks_after_the_period(
    runtime: Runtime, cast: Cast
) -> None:
    settings = runtime.settings
    start = utcnow()
    with Session(runtime.engine) as session:
        for _ in range(settings.login_max_failures):
            with pytest.raises(InvalidCredentials):
                authenticate(
                    session, username=cast.coop, password="nope", settings=settings, now=start
                )
        with pytest.raises(AccountLocked) as locked:
            authenticate(
                session, username=cast.coop, password=PASSWORD, settings=settings, now=start
            )
        assert locked.value.locked_until == start + timedelta(seconds=settings.login_lockout_s)
        later = start + timedelta(seconds=settings.login_lockout_s + 1)
        signed = authenticate(
            session, username=cast.coop, password=PASSWORD, settings=settings, now=later
        )
        assert signed.org.slug == "htx-xoai-my-xuong"
        assert signed.user.failed_logins == 0


def test_unknown_username_is_refused_like_a_wrong_password(runtime: Runtime, cast: Cast) -> None:
    with Session(runtime.engine) as session, pytest.raises(InvalidCredentials):
        authenticate(session, username="no-such-user", password=PASSWORD, settings=runtime.settings)


def test_changing_the_password_ends_existing_sessions(
    app_client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    from backend.services.accounts.users import set_password

    sign_in(app_client, cast.coop)
    with Session(runtime.engine) as session:
        user = session.exec(select(User).where(User.username == cast.coop)).one()
        set_password(session, user=user, password="mat-khau-moi-hoan-toan")
        session.commit()
    assert app_client.get("/app/").status_code == 303
