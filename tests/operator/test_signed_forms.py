"""Operator forms of an organisation that signs in the browser: the server side of the protocol.

Without signatures a form is refused (428): as JSON with the draft for the app's script, as the
form again with a Vietnamese refusal pointing to /app/keys for a plain browser. The same form
posted again with the draft id and signatures (hidden fields or headers) is applied.
"""

from __future__ import annotations

from eth_account import Account
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.db import session_scope
from backend.models import Event, Lot
from backend.runtime import Runtime
from backend.services.accounts import org_keys
from backend.services.accounts.orgs import get_org_by_slug
from tests.operator.conftest import Cast, sign_in
from tests.support.signing import sign_draft

JSON = {"Accept": "application/json"}


def _browser_held(runtime: Runtime, slug: str) -> LocalAccount:
    account = Account.create()
    with session_scope(runtime.engine) as session:
        org = get_org_by_slug(session, slug)
        assert org is not None
        org.key_custody = "browser"
        session.add(org)
        org_keys.register_key(session, org, address=account.address, custody="browser")
    return account


def _form(token: str, code: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "product": "xoai-cat-chu",
        "farm": "MX-01",
        "quantity": "850",
        "unit": "kg",
        "harvested_at": "2026-01-05T06:30",
        "code": code,
    }


def _lot(runtime: Runtime, code: str) -> Lot | None:
    with Session(runtime.engine) as session:
        return session.exec(select(Lot).where(Lot.code == code)).first()


def test_a_plain_form_without_a_key_is_refused_with_where_to_set_one_up(
    app_client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    _browser_held(runtime, "htx-xoai-my-xuong")
    token = sign_in(app_client, cast.coop)
    response = app_client.post("/app/lots/new", data=_form(token, "XOAI-K01"))
    assert response.status_code == 428
    assert "Cần khoá ký" in response.text and "/app/keys" in response.text
    assert 'value="850"' in response.text  # what was typed is still there
    assert _lot(runtime, "XOAI-K01") is None


def test_the_script_gets_the_draft_and_applies_it_with_fields_or_headers(
    app_client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    key = _browser_held(runtime, "htx-xoai-my-xuong")
    token = sign_in(app_client, cast.coop)
    form = _form(token, "XOAI-K02")
    asked = app_client.post("/app/lots/new", data=form, headers=JSON)
    assert asked.status_code == 428 and asked.headers["content-type"] == "application/json"
    draft = asked.json()["draft"]
    assert draft["sign"][0]["lot"] == "XOAI-K02"

    wrong = app_client.post(
        "/app/lots/new",
        data={
            **form,
            "sentrace_draft": draft["id"],
            "sentrace_signatures": sign_draft(draft, Account.create()),
        },
        headers=JSON,
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "signatures[0]"

    done = app_client.post(
        "/app/lots/new",
        data={**form, "sentrace_draft": draft["id"], "sentrace_signatures": sign_draft(draft, key)},
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/app/lots/XOAI-K02")
    with Session(runtime.engine) as session:
        lot = session.exec(select(Lot).where(Lot.code == "XOAI-K02")).one()
        event = session.exec(select(Event).where(Event.lot_id == lot.id)).one()
    assert event.signer == key.address

    second = _form(token, "XOAI-K03")
    drafted = app_client.post("/app/lots/new", data=second, headers=JSON).json()["draft"]
    by_headers = app_client.post(
        "/app/lots/new",
        data=second,
        headers={
            "X-SenTrace-Draft": drafted["id"],
            "X-SenTrace-Signatures": sign_draft(drafted, key),
        },
    )
    assert by_headers.status_code == 303 and _lot(runtime, "XOAI-K03") is not None


def test_a_custodial_organisation_s_forms_need_nothing_more(
    app_client: TestClient, cast: Cast, runtime: Runtime
) -> None:
    token = sign_in(app_client, cast.coop)
    response = app_client.post("/app/lots/new", data=_form(token, "XOAI-K04"), headers=JSON)
    assert response.status_code == 303 and _lot(runtime, "XOAI-K04") is not None
