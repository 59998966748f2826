"""``sentrace user create`` and ``user set-password``, ``demo`` and ``labels``: operator chores.

Registered through ``backend.cli.COMMAND_MODULES``. Each command opens only what it needs: the
database for accounts and labels, the full runtime (chain and anchoring) for the demo, whose
lots are meant to read ``verified``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from backend.config import get_settings
from backend.data_dir import DataDirError
from backend.db import session_scope
from backend.errors import SenTraceError
from backend.i18n.messages import message
from backend.runtime import Runtime

user_app = typer.Typer(help=message("cli.users.help"), no_args_is_help=True)


@contextmanager
def _database_only() -> Iterator[Runtime]:
    """A runtime with the database and no chain: enough for accounts and label files."""
    try:
        runtime = Runtime.create(get_settings())
    except DataDirError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    try:
        yield runtime
    finally:
        runtime.close()


def _fail(exc: SenTraceError) -> typer.Exit:
    where = f" ({exc.field})" if exc.field else ""
    typer.echo(f"{exc.message}{where}", err=True)
    return typer.Exit(1)


@user_app.command("create")
def create_user_command(
    org: Annotated[str, typer.Option(help="Organisation slug (admin for the platform admin)")],
    username: Annotated[str, typer.Option(help="Sign-in name: a–z, 0–9, . _ -")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="SENTRACE_NEW_USER_PASSWORD",
            help="At least 10 characters (prompted when not given)",
        ),
    ],
    display_name: Annotated[str, typer.Option(help="Full name shown in the app")] = "",
    org_name: Annotated[
        str | None, typer.Option(help="Create the organisation too, with this name")
    ] = None,
    role: Annotated[
        str | None,
        typer.Option(help="Role of a new organisation: cooperative, packer, distributor, …"),
    ] = None,
) -> None:
    """Create a sign-in for an organisation (and the organisation itself, if asked)."""
    from backend.services.accounts.orgs import (
        ADMIN_SLUG,
        create_organisation,
        ensure_admin_org,
        get_org_by_slug,
    )
    from backend.services.accounts.users import create_user

    with _database_only() as runtime:
        try:
            with session_scope(runtime.engine) as session:
                api_key = None
                if org == ADMIN_SLUG:
                    ensure_admin_org(session)
                elif get_org_by_slug(session, org) is None:
                    if org_name is None or role is None:
                        typer.echo(message("cli.users.no_org", org=org), err=True)
                        raise typer.Exit(1)
                    _, api_key = create_organisation(session, slug=org, name=org_name, role=role)
                user = create_user(
                    session,
                    org_slug=org,
                    username=username,
                    password=password,
                    display_name=display_name,
                )
                name = user.username
        except SenTraceError as exc:
            raise _fail(exc) from exc
    typer.echo(message("cli.users.created", tail=f"{name} ({org})"))
    if api_key:
        typer.echo(message("cli.users.api_key", tail=api_key))


def _read_new_password(source: str) -> str:
    """The first line of the file ``source`` (``-`` for standard input), its line end dropped:
    a password on the command line would be left in the shell history and the process list."""
    if source == "-":
        line = sys.stdin.readline()
    else:
        lines = Path(source).read_text(encoding="utf-8").splitlines()
        line = lines[0] if lines else ""
    return line.rstrip("\r\n")


@user_app.command("set-password")
def set_password_command(
    username: Annotated[str, typer.Option(help="Sign-in name of the account")],
    password_file: Annotated[
        str,
        typer.Option(
            "--password-file", help="File holding the new password (first line); - for stdin"
        ),
    ],
) -> None:
    """Give an account a new password and end every session it has (an admin's reset)."""
    from backend.services.accounts.users import get_user_by_username, set_password

    password = _read_new_password(password_file)
    with _database_only() as runtime:
        try:
            with session_scope(runtime.engine) as session:
                user = get_user_by_username(session, username)
                if user is None:
                    typer.echo(message("cli.users.no_user", tail=username), err=True)
                    raise typer.Exit(1)
                set_password(session, user=user, password=password)
                name = user.username
        except SenTraceError as exc:
            raise _fail(exc) from exc
    typer.echo(message("cli.users.password_set", tail=name))


def demo() -> None:
    """Load the Đồng Tháp demo data set (idempotent), anchor it, and print the sign-ins."""
    from backend.cli import configure_logging, open_runtime
    from backend.demo import load_demo

    configure_logging()
    with open_runtime(start_worker=False) as runtime:
        load_demo(runtime)


def labels(
    lot: Annotated[str, typer.Argument(help="Lot code")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write")],
    count: Annotated[int, typer.Option(help="Number of labels")] = 1,
    layout: Annotated[
        str, typer.Option(help="thermal-50x30, thermal-100x50, export-100x70 or a4")
    ] = "thermal-50x30",
    fmt: Annotated[str, typer.Option("--format", help="pdf, png or zpl")] = "pdf",
    serials: Annotated[bool, typer.Option(help="Number each label (recorded)")] = False,
    dpi: Annotated[int | None, typer.Option(help="Printer resolution")] = None,
    org: Annotated[
        str | None, typer.Option(help="Print as this organisation (default: the custodian)")
    ] = None,
    export: Annotated[
        bool,
        typer.Option(
            help="Labels for export: dates in the code (AI 7007, AI 15); refused unless the lot "
            "has every item of Circular 02/2024/TT-BKHCN"
        ),
    ] = False,
) -> None:
    """Write a label file for a lot, as ``POST /api/v1/lots/{code}/labels`` would."""
    from backend.models import Organisation
    from backend.services.accounts.orgs import get_org_by_slug
    from backend.services.labels.printing import LabelRequest, print_labels
    from backend.services.ledger.queries import get_lot_by_code

    with _database_only() as runtime:
        try:
            with session_scope(runtime.engine) as session:
                found = get_lot_by_code(session, lot)
                if found is None:
                    typer.echo(message("cli.labels.no_lot", tail=lot), err=True)
                    raise typer.Exit(1)
                printer = (
                    get_org_by_slug(session, org)
                    if org
                    else session.get(Organisation, found.custodian_org_id)
                )
                if printer is None:
                    typer.echo(message("cli.labels.no_org", tail=str(org)), err=True)
                    raise typer.Exit(1)
                request = LabelRequest(
                    count=count, layout=layout, fmt=fmt, serials=serials, dpi=dpi, export=export
                )
                rendered = print_labels(
                    session,
                    lot_code=lot,
                    org=printer,
                    request=request,
                    settings=runtime.settings,
                )
        except SenTraceError as exc:
            raise _fail(exc) from exc
    output.write_bytes(rendered.content)
    typer.echo(f"{output} ({rendered.media_type}, {len(rendered.content)} bytes)")


def register(app: typer.Typer) -> None:
    """Add the operator commands to the ``sentrace`` command."""
    app.add_typer(user_app, name="user")
    app.command("demo")(demo)
    app.command("labels")(labels)
