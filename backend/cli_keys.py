"""``sentrace keys list|add|revoke --org SLUG``: an organisation's signing keys.

Registered through ``backend.cli.COMMAND_MODULES``. Needs the database only: a key added or
revoked here is recorded on chain by the anchoring worker (its signer change goes out before
the next batch), and signs once it reads ``active``. This is how an operator gives an
organisation that migration 0007 made custodial its first key:
``sentrace keys add --org htx --custody custodial`` (in production with
``SENTRACE_KEY_ENCRYPTION_SECRET`` set).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlmodel import Session

from backend.config import get_settings
from backend.data_dir import DataDirError
from backend.db import session_scope
from backend.errors import SenTraceError
from backend.i18n.messages import message
from backend.models import KeyCustody, Organisation
from backend.runtime import Runtime
from backend.services.accounts import org_keys
from backend.services.accounts.orgs import get_org_by_slug

keys_app = typer.Typer(help=message("keys.cli.help"), no_args_is_help=True)

OrgOption = Annotated[str, typer.Option("--org", help="Organisation slug")]


@contextmanager
def _org_session(slug: str) -> Iterator[tuple[Runtime, Session, Organisation]]:
    """The organisation ``slug`` in a session that commits on success; exit 1/2 otherwise."""
    try:
        runtime = Runtime.create(get_settings())
    except DataDirError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    try:
        with session_scope(runtime.engine) as session:
            org = get_org_by_slug(session, slug)
            if org is None:
                typer.echo(f"{message('accounts.unknown_org')}: {slug}", err=True)
                raise typer.Exit(1)
            yield runtime, session, org
    except SenTraceError as exc:
        where = f" ({exc.field})" if exc.field else ""
        typer.echo(f"{exc.message}{where}", err=True)
        raise typer.Exit(1) from exc
    finally:
        runtime.close()


@keys_app.command("list")
def list_keys(org: OrgOption) -> None:
    """Every key of the organisation: address, custody, status (pending, active, revoked)."""
    with _org_session(org) as (_, session, found):
        rows = org_keys.keys_of(session, found)
        if not rows:
            typer.echo(message("keys.cli.none", org=org))
        for key in rows:
            typer.echo(f"{key.address}  {key.custody:<9}  {key.status}")


@keys_app.command("add")
def add_key(
    org: OrgOption,
    custody: Annotated[
        str, typer.Option(help="client | browser (give --address) or custodial (made here)")
    ] = KeyCustody.CUSTODIAL.value,
    address: Annotated[
        str | None, typer.Option(help="Address of a key the organisation holds itself")
    ] = None,
) -> None:
    """Add a key: a custodial one made and sealed here, or a client/browser key by address."""
    with _org_session(org) as (runtime, session, found):
        kind = org_keys.custody_of(custody)
        if kind is KeyCustody.CUSTODIAL:
            key = org_keys.create_custodial_key(session, found, runtime.settings)
        else:
            if address is None:
                typer.echo(message("keys.cli.address_needed"), err=True)
                raise typer.Exit(2)
            key = org_keys.register_key(session, found, address=address, custody=kind)
        typer.echo(message("keys.cli.added", address=key.address, custody=key.custody, org=org))


@keys_app.command("revoke")
def revoke_key(
    org: OrgOption,
    address: Annotated[str, typer.Option(help="Address of the key to revoke")],
) -> None:
    """Revoke a key: it signs nothing from now on, and on chain once its change lands."""
    with _org_session(org) as (_, session, found):
        key = org_keys.revoke_key(session, found, address=address)
        typer.echo(message("keys.cli.revoked", address=key.address, org=org))


def register(app: typer.Typer) -> None:
    """Add ``sentrace keys`` to the ``sentrace`` command."""
    app.add_typer(keys_app, name="keys")
