"""Signing in and out, the session cookie, CSRF and lock-out."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.models import Farm, LoginThrottle, OperatorSession, User
from backend.runtime import Runtime
from backend.services.accounts.sessions import open_session, resume_session
from backend.services.accounts.throttle import backoff
from backend.services.accounts.users import InvalidCredentials, LoginThrottled, authenticate
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


def test_wrong_passwords_slow_the_address_down_then_it_may_try_again(
    app_client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    token = csrf_from(app_client.get("/app/login").text)

    def attempt(password: str) -> int:
        response = app_client.post(
            "/app/login", data={"username": cast.packer, "password": password, "csrf_token": token}
        )
        return response.status_code

    assert [attempt("sai-1"), attempt("sai-2")] == [401, 401]
    assert attempt("sai-3") == 401  # the third failure starts the backoff (3 in these tests)
    waiting = app_client.post(
        "/app/login", data={"username": cast.packer, "password": PASSWORD, "csrf_token": token}
    )
    assert waiting.status_code == 429
    assert "Đã nhập sai mật khẩu nhiều lần" in waiting.text
    assert waiting.headers["retry-after"] == "1"  # SENTRACE_LOGIN_BACKOFF_BASE_S
    with Session(runtime.engine) as session:
        rows = session.exec(select(LoginThrottle)).all()
        assert any(row.blocked_until is not None for row in rows)  # the address waits
        for row in rows:  # the wait has passed
            row.blocked_until = utcnow() - timedelta(seconds=1)
            session.add(row)
        session.commit()
    assert attempt(PASSWORD) == 303


def _try(runtime: Runtime, username: str, password: str, address: str, now: datetime) -> str:
    """One sign-in through the service: ``"ok"``, ``"wrong"`` or ``"wait"``."""
    with Session(runtime.engine) as session:
        try:
            authenticate(
                session,
                username=username,
                password=password,
                address=address,
                settings=runtime.settings,
                now=now,
            )
            outcome = "ok"
        except LoginThrottled:
            outcome = "wait"
        except InvalidCredentials:
            outcome = "wrong"
        session.commit()
    return outcome


def test_backoff_doubles_per_failure_and_is_capped(runtime: Runtime) -> None:
    settings = runtime.settings.model_copy(update={"login_backoff_max_s": 5.0})
    free = settings.login_free_attempts
    waits = [backoff(n, free=free, settings=settings).total_seconds() for n in range(free + 5)]
    assert waits == [0.0] * free + [1.0, 2.0, 4.0, 5.0, 5.0]


def test_one_address_guessing_does_not_slow_the_account_elsewhere(
    runtime: Runtime, cast: Cast
) -> None:
    now = utcnow()
    outcomes = [_try(runtime, cast.coop, "nope", "10.0.0.1", now) for _ in range(12)]
    assert outcomes == ["wrong"] * 3 + ["wait"] * 9
    assert _try(runtime, cast.coop, PASSWORD, "10.0.0.1", now) == "wait"
    assert _try(runtime, cast.coop, PASSWORD, "10.0.0.2", now) == "ok"


def test_guessing_from_many_addresses_slows_the_account_down(runtime: Runtime, cast: Cast) -> None:
    now = utcnow()
    for address in ("10.0.1.1", "10.0.1.2"):  # 3 each: the account's 6 free attempts spent
        assert [_try(runtime, cast.coop, "nope", address, now) for _ in range(3)] == ["wrong"] * 3
    assert _try(runtime, cast.coop, PASSWORD, "10.0.1.3", now) == "wait"
    later = now + timedelta(seconds=2)  # the first wait (1 s) is over
    assert _try(runtime, cast.coop, PASSWORD, "10.0.1.3", later) == "ok"


def test_unknown_username_is_refused_like_a_wrong_password(runtime: Runtime, cast: Cast) -> None:
    with Session(runtime.engine) as session, pytest.raises(InvalidCredentials):
        authenticate(
            session,
            username="no-such-user",
            password=PASSWORD,
            address="10.0.0.9",
            settings=runtime.settings,
        )


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


def test_sign_out_deletes_the_server_side_session(
    app_client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    token = sign_in(app_client, cast.coop)
    with Session(runtime.engine) as session:
        assert len(session.exec(select(OperatorSession)).all()) == 1
    app_client.post("/app/logout", data={"csrf_token": token})
    with Session(runtime.engine) as session:
        assert session.exec(select(OperatorSession)).all() == []


def test_a_session_ends_after_its_lifetime_and_when_idle(runtime: Runtime, cast: Cast) -> None:
    settings = runtime.settings
    start = utcnow()
    with Session(runtime.engine) as session:
        user = session.exec(select(User).where(User.username == cast.coop)).one()
        assert user.id is not None
        busy = open_session(session, user_id=user.id, settings=settings, now=start)
        idle = open_session(session, user_id=user.id, settings=settings, now=start)
        step = timedelta(seconds=settings.session_idle_s - 60)
        moment = start
        while moment + step < start + timedelta(seconds=settings.session_lifetime_s):
            moment += step
            assert resume_session(session, token=busy, settings=settings, now=moment) == user.id
        end = start + timedelta(seconds=settings.session_lifetime_s)
        assert resume_session(session, token=busy, settings=settings, now=end) is None
        quiet = start + timedelta(seconds=settings.session_idle_s)
        assert resume_session(session, token=idle, settings=settings, now=quiet) is None
        assert session.exec(select(OperatorSession)).all() == []
