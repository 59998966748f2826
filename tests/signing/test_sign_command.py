"""``sentrace sign``: a keystore made by ``sign keygen`` signs a 428 answer read from stdin, and
the request sent again with those signatures is applied."""

from __future__ import annotations

import json
from pathlib import Path

from eth_account import Account
from typer.testing import CliRunner

from backend.cli import app as cli
from tests.support.app import harvest_body
from tests.support.signing import Signers

PASSWORD = "mật khẩu của HTX"


def test_keygen_then_sign_round_trip(signers: Signers, tmp_path: Path) -> None:
    runner = CliRunner()
    password_file = tmp_path / "password.txt"
    password_file.write_text(PASSWORD + "\n", encoding="utf-8")
    keystore = tmp_path / "htx-key.json"
    made = runner.invoke(
        cli, ["sign", "keygen", "-o", str(keystore), "--password-file", str(password_file)]
    )
    assert made.exit_code == 0, made.output
    address = made.stdout.strip().splitlines()[-1]
    assert (
        Account.from_key(Account.decrypt(json.loads(keystore.read_text()), PASSWORD)).address
        == address
    )
    again = runner.invoke(cli, ["sign", "keygen", "-o", str(keystore)], env={})
    assert again.exit_code == 2  # never overwrites a key

    registered = signers.client.post(
        "/api/v1/orgs/htx/signing-keys",
        json={"custody": "client", "address": address},
        headers=signers.headers["htx"],
    )
    assert registered.status_code == 201, registered.text
    body = harvest_body(code="L-CLI-1")
    answer = signers.ask("/api/v1/lots", "htx", body)
    assert answer.status_code == 428

    signed = runner.invoke(
        cli,
        ["sign", "--keystore", str(keystore)],
        input=answer.text,
        env={"SENTRACE_KEYSTORE_PASSWORD": PASSWORD},
    )
    assert signed.exit_code == 0, signed.output
    signatures = signed.stdout.strip().splitlines()[-1]
    done = signers.client.post(
        "/api/v1/lots",
        json=body,
        headers={
            **signers.headers["htx"],
            "X-SenTrace-Draft": answer.json()["draft"]["id"],
            "X-SenTrace-Signatures": signatures,
        },
    )
    assert done.status_code == 201, done.text


def test_sign_refuses_without_a_password_or_a_draft(tmp_path: Path) -> None:
    runner = CliRunner()
    keystore = tmp_path / "k.json"
    keystore.write_text(json.dumps(Account.encrypt(Account.create().key, "x")), encoding="utf-8")
    no_password = runner.invoke(cli, ["sign", "-k", str(keystore)], input="{}", env={})
    assert no_password.exit_code == 2
    nothing = runner.invoke(
        cli,
        ["sign", "-k", str(keystore)],
        input='{"detail": "x"}',
        env={"SENTRACE_KEYSTORE_PASSWORD": "x"},
    )
    assert nothing.exit_code == 2


def test_sign_refuses_a_document_that_does_not_match_its_hash(
    signers: Signers, tmp_path: Path
) -> None:
    answer = signers.ask("/api/v1/lots", "htx", harvest_body(code="L-CLI-2")).json()
    answer["draft"]["sign"][0]["document"]["data"]["quantity"] = "9999"  # not what is signed
    keystore = tmp_path / "k.json"
    keystore.write_text(json.dumps(Account.encrypt(Account.create().key, "x")), encoding="utf-8")
    refused = CliRunner().invoke(
        cli,
        ["sign", "-k", str(keystore)],
        input=json.dumps(answer),
        env={"SENTRACE_KEYSTORE_PASSWORD": "x"},
    )
    assert refused.exit_code == 1 and "0x" not in refused.stdout
