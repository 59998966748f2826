"""``sentrace sign``: sign a write's draft with a keystore, as a cooperative's own system does.

A client-held organisation's write is answered 428 with a draft (``detail``, ``draft``: ``id``
and the ``sign`` list of statements). ``sentrace sign --keystore key.json < answer.json`` reads
that answer (or the draft alone) from a file or standard input, checks each event statement
against its document (the document hashes to the event hash the typed data signs), shows on
standard error what is being signed, and prints the signatures, comma-separated, in order:
the value of ``X-SenTrace-Signatures`` (``--headers`` prints both header lines).

``sentrace sign keygen -o key.json`` makes a new key as a keystore v3 file and prints its
address, to be registered with ``POST /api/v1/orgs/{slug}/signing-keys``. The password comes
from ``--password-file`` or ``SENTRACE_KEYSTORE_PASSWORD``, never from the command line, where
other users of the machine could read it. Registered through ``backend.cli.COMMAND_MODULES``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from eth_account import Account

from backend.hashing import event_hash, to_hex
from backend.hashing.eip712 import sign_typed_data
from backend.i18n.messages import message

PASSWORD_ENV = "SENTRACE_KEYSTORE_PASSWORD"  # noqa: S105 (a variable name)

sign_app = typer.Typer(help=message("signing.cli.help"), invoke_without_command=True)

PasswordFileOption = Annotated[
    Path | None,
    typer.Option("--password-file", help="File holding the keystore password (first line)"),
]


def read_password(password_file: Path | None) -> str:
    """The keystore password from ``password_file`` or the environment; exits 2 without one."""
    if password_file is not None:
        lines = password_file.read_text(encoding="utf-8").splitlines()
        return lines[0] if lines else ""
    value = os.environ.get(PASSWORD_ENV)
    if value is None:
        typer.echo(message("signing.cli.password_missing"), err=True)
        raise typer.Exit(2)
    return value


def draft_of(answer: dict[str, Any]) -> dict[str, Any]:
    """The draft in a 428/409 answer body, or the body itself when it is a draft."""
    draft = answer.get("draft", answer) if isinstance(answer, dict) else None
    if not isinstance(draft, dict) or not isinstance(draft.get("sign"), list) or not draft["sign"]:
        typer.echo(message("signing.cli.nothing_to_sign"), err=True)
        raise typer.Exit(2)
    return draft


def check_statement(index: int, statement: dict[str, Any]) -> None:
    """An event statement's document must hash to the event hash its typed data signs."""
    if statement.get("kind") != "event":
        return
    signed = statement["typed_data"]["message"]["eventHash"].lower()
    document = statement.get("document")
    stated = str(statement.get("event_hash", "")).lower()
    if signed != stated or (document is not None and to_hex(event_hash(document)) != signed):
        typer.echo(message("signing.cli.mismatch", index=index), err=True)
        raise typer.Exit(1)


def describe(statement: dict[str, Any]) -> str:
    """One line a person can check before signing."""
    if statement.get("kind") == "recall":
        return f"recall {statement.get('lot')} (nonce {statement.get('nonce')})"
    document = statement.get("document") or {}
    kind = document.get("type", "event")
    return f"{kind} {statement.get('lot')} #{statement.get('seq')} {statement.get('event_hash')}"


@sign_app.callback()
def sign(
    ctx: typer.Context,
    keystore: Annotated[
        Path | None, typer.Option("--keystore", "-k", help="Keystore v3 file of the signing key")
    ] = None,
    source: Annotated[
        Path | None,
        typer.Option("--input", "-i", help="The 428 answer or draft (JSON); default: stdin"),
    ] = None,
    password_file: PasswordFileOption = None,
    headers: Annotated[
        bool, typer.Option("--headers", help="Print the X-SenTrace-Draft and -Signatures lines")
    ] = False,
) -> None:
    """Sign a draft's statements with a keystore; prints the signatures in order."""
    if ctx.invoked_subcommand is not None:
        return
    if keystore is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(2)
    raw = source.read_text(encoding="utf-8") if source is not None else sys.stdin.read()
    try:
        draft = draft_of(json.loads(raw))
    except json.JSONDecodeError:
        typer.echo(message("signing.cli.nothing_to_sign"), err=True)
        raise typer.Exit(2) from None
    try:
        key = Account.decrypt(
            json.loads(keystore.read_text(encoding="utf-8")), read_password(password_file)
        )
    except (OSError, ValueError):
        typer.echo(f"{message('signing.cli.bad_keystore')}: {keystore}", err=True)
        raise typer.Exit(2) from None
    signatures = []
    for index, statement in enumerate(draft["sign"]):
        check_statement(index, statement)
        typer.echo(f"[{index}] {describe(statement)}", err=True)
        signatures.append(sign_typed_data(statement["typed_data"], bytes(key)))
    joined = ",".join(signatures)
    if headers:
        typer.echo(f"X-SenTrace-Draft: {draft.get('id', '')}")
        typer.echo(f"X-SenTrace-Signatures: {joined}")
    else:
        typer.echo(joined)


@sign_app.command("keygen")
def keygen(
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the keystore")],
    password_file: PasswordFileOption = None,
) -> None:
    """Make a new signing key as a keystore v3 file; prints its address."""
    if output.exists():
        typer.echo(f"{message('signing.cli.exists')}: {output}", err=True)
        raise typer.Exit(2)
    password = read_password(password_file)
    account = Account.create()
    keystore = Account.encrypt(account.key, password)
    output.write_text(json.dumps(keystore), encoding="utf-8")
    output.chmod(0o600)
    typer.echo(
        message("signing.cli.wrote_keystore", address=account.address, path=output), err=True
    )
    typer.echo(account.address)


def register(app: typer.Typer) -> None:
    app.add_typer(sign_app, name="sign")
