"""``sentrace export portal --lot CODE --format json|csv``: a lot's Circular 02/2024/TT-BKHCN
data items for the national traceability portal, from verified data only.

Registered through ``backend.cli.COMMAND_MODULES``. The command verifies the lot, so it opens
the full runtime (database and chain; a managed anvil when no RPC URL is set). The record goes
through a :class:`~backend.services.interop.portal_publish.PortalPublisher`: to stdout, or to
``--output FILE``. Exit codes: 0 written; 1 the lot is unknown or not verified, or the file
cannot be written; 2 a bad ``--format`` (or configuration). The data goes to stdout alone;
messages go to stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from backend.errors import SenTraceError
from backend.i18n.messages import message
from backend.runtime import Runtime
from backend.services.interop.portal import PortalRecord, portal_record
from backend.services.interop.portal_publish import (
    PortalPublisher,
    PublishReceipt,
    StreamPublisher,
    check_format,
)

export_app = typer.Typer(help=message("portal.help"), no_args_is_help=True)


@contextmanager
def default_runtime() -> Iterator[Runtime]:
    """The runtime from the environment, as ``sentrace serve`` builds it, without a worker."""
    from backend.cli import open_runtime

    with open_runtime(start_worker=False) as runtime:
        yield runtime


#: How the command gets its runtime (a test puts one over its own database and chain here).
RUNTIME_FACTORY: Callable[[], AbstractContextManager[Runtime]] = default_runtime


def _record(lot: str) -> PortalRecord:
    with RUNTIME_FACTORY() as runtime, Session(runtime.engine) as session:
        return portal_record(
            session,
            code=lot,
            view=runtime.chain_view(),
            base_url=runtime.settings.public_base_url,
        )


def portal(
    lot: Annotated[str, typer.Option("--lot", help="Lot code")],
    fmt: Annotated[str, typer.Option("--format", help="json or csv")] = "json",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout)")
    ] = None,
) -> None:
    """Export a verified lot's Circular 02/2024/TT-BKHCN items for the national portal."""
    try:
        check_format(fmt)
    except SenTraceError as exc:
        typer.echo(f"{exc.message} ({exc.field})", err=True)
        raise typer.Exit(2) from exc
    try:
        record = _record(lot)
    except SenTraceError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(1) from exc
    if output is None:
        _publish(StreamPublisher(sys.stdout, fmt=fmt, name="stdout"), record)
        return
    try:
        with output.open("w", encoding="utf-8", newline="") as stream:
            receipt = _publish(StreamPublisher(stream, fmt=fmt, name=str(output)), record)
    except OSError as exc:
        typer.echo(message("portal.cannot_write", tail=f"{output}: {exc.strerror}"), err=True)
        raise typer.Exit(1) from exc
    written = f"{receipt.destination} ({receipt.size} B)"
    typer.echo(message("portal.written", tail=written), err=True)


def _publish(publisher: PortalPublisher, record: PortalRecord) -> PublishReceipt:
    """Any :class:`PortalPublisher` will do: a push client replaces the stream one here."""
    return publisher.publish(record)


def register(app: typer.Typer) -> None:
    """Add ``export portal``, to an ``export`` group another module made, else to our own."""
    for group in app.registered_groups:
        if group.name == "export" and group.typer_instance is not None:
            group.typer_instance.command("portal", help=message("portal.portal_help"))(portal)
            return
    export_app.command("portal", help=message("portal.portal_help"))(portal)
    app.add_typer(export_app, name="export")
