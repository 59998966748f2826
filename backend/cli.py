"""The ``sentrace`` command: serve the app, anchor, reconcile, upgrade from proof rules v1,
audit the lot heads map (``sentrace heads``), and check proof bundles.

Commands here stay thin: each builds what it needs (usually a :class:`Runtime`) and calls a
service. Other parts of the project add their own commands by listing a module in
``COMMAND_MODULES``; such a module exposes ``register(app: typer.Typer) -> None`` and may add
single commands or a whole sub-typer (``app.add_typer(labels_app, name="labels")``).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from backend.chain import ChainConfigError, ChainError, ContractNotFound
from backend.config import Settings, get_settings
from backend.data_dir import DataDirError
from backend.db import make_engine
from backend.hashing import from_hex, lot_key, to_hex, verify_head, verify_no_head
from backend.i18n.messages import message
from backend.runtime import Runtime
from backend.web_workers import (
    LOG_FORMAT,
    WORKER_APP,
    WorkerStartFailed,
    WorkersUnsupported,
    prepare_environment,
    run_workers,
)

app = typer.Typer(
    name="sentrace",
    help=message("cli.help"),
    no_args_is_help=True,
    add_completion=False,
)

#: Modules that add commands; each exposes ``register(app: typer.Typer) -> None``.
COMMAND_MODULES: list[str] = [
    "backend.cli_operator",
    "backend.cli_registry",
    "backend.cli_sign",
    "backend.cli_keys",
    "backend.cli_portal",
]

logger = logging.getLogger("backend.cli")


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format=LOG_FORMAT)


def load_settings() -> Settings:
    """The settings from the environment, or exit 2 with one line per problem.

    Pydantic's own message quotes the input values, secrets included, so only each error's
    reason and field are shown.
    """
    try:
        return get_settings()
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_input=False, include_context=False):
            reason = str(error["msg"]).removeprefix("Value error, ")
            field = ".".join(str(part) for part in error["loc"])
            typer.echo(
                message("cli.invalid_configuration", tail=reason)
                + (f" (SENTRACE_{field.upper()})" if field else ""),
                err=True,
            )
        raise typer.Exit(2) from None


def _terminate(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


@contextmanager
def open_runtime(*, start_worker: bool) -> Iterator[Runtime]:
    """A runtime from the environment, closed (worker, anvil, engine) however the block ends.

    SIGTERM becomes SystemExit while we own the process, so a managed anvil is stopped cleanly
    (and dumps its state) even when the stop arrives during start-up.
    """
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        try:
            runtime = Runtime.start(load_settings(), start_worker=start_worker)
        except (DataDirError, ChainConfigError, ContractNotFound) as exc:  # says what to fix
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from exc
        except OperationalError as exc:  # the URL may hold a password: show the driver's words
            typer.echo(message("cli.database_unreachable", tail=exc.orig), err=True)
            raise typer.Exit(2) from exc
        try:
            yield runtime
        finally:
            runtime.close()
    finally:
        signal.signal(signal.SIGTERM, previous)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    demo: Annotated[bool, typer.Option(help="Load the demo data set at start-up")] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="Server processes (default SENTRACE_WEB_WORKERS, else 1)",
        ),
    ] = None,
) -> None:
    """Run the web app with its anchoring worker (and a managed anvil when no RPC URL is set).

    With --workers N (N > 1) this process migrates, loads the demo, runs the anchoring worker
    and the managed anvil, and N child processes serve the requests (backend.web_workers).
    """
    import uvicorn

    from backend.app import create_app
    from backend.http.startup_heap import freeze_startup_heap

    configure_logging()
    default_public_base_url(host, port)
    count = workers or load_settings().web_workers
    try:
        prepare_environment(load_settings(), count)
    except WorkersUnsupported as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    with open_runtime(start_worker=load_settings().worker_enabled) as runtime:
        if demo:
            load_demo(runtime)
        if count > 1:
            _serve_workers(host, port, count)
            return
        server = uvicorn.Server(
            uvicorn.Config(create_app(runtime), host=host, port=port, log_level="info")
        )
        freeze_startup_heap()
        server.run()  # returns after Ctrl-C or SIGTERM; the runtime closes on the way out


def _serve_workers(host: str, port: int, workers: int) -> None:
    """Serve from ``workers`` child processes until Ctrl-C or SIGTERM (exit 1 if one fails)."""
    try:
        run_workers(WORKER_APP, host=host, port=port, workers=workers)
    except WorkerStartFailed as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc


def default_public_base_url(host: str, port: int) -> None:
    """Point printed QR links at this server unless ``SENTRACE_PUBLIC_BASE_URL`` says otherwise.

    Without it, ``make run PORT=9000`` would print labels that open port 8000. A wildcard
    listen address is no address a phone can open, so it becomes loopback.
    """
    if os.environ.get("SENTRACE_PUBLIC_BASE_URL"):
        return
    shown = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host  # noqa: S104
    if ":" in shown:
        shown = f"[{shown}]"
    os.environ["SENTRACE_PUBLIC_BASE_URL"] = f"http://{shown}:{port}"
    get_settings.cache_clear()


def load_demo(runtime: Runtime) -> None:
    """Load the demo data through ``backend.demo.load_demo`` (imported only when asked for)."""
    try:
        demo_module = importlib.import_module("backend.demo")
    except ModuleNotFoundError as exc:
        if exc.name != "backend.demo":
            raise
        typer.echo(message("cli.demo_missing"), err=True)
        raise typer.Exit(2) from exc
    demo_module.load_demo(runtime)


@app.command()
def anchor(
    respect_delay: Annotated[
        bool, typer.Option(help="Only anchor batches that are due (default: flush everything)")
    ] = False,
) -> None:
    """Anchor pending events now, in the foreground, and print what was done."""
    configure_logging()
    with open_runtime(start_worker=False) as runtime:
        try:
            passes = [runtime.anchoring.run_once(force=not respect_delay, wait=True)]
            while passes[-1].more_work:
                passes.append(runtime.anchoring.run_once(force=not respect_delay, wait=True))
        except ChainError as exc:
            typer.echo(message("cli.anchoring_failed", tail=exc), err=True)
            raise typer.Exit(1) from exc
        totals = {key: sum(int(getattr(p, key)) for p in passes) for key in _PASS_FIELDS}
        typer.echo(json.dumps(totals, indent=2))


_PASS_FIELDS = ("built", "sent", "confirmed", "requeued", "failed", "outbox_sent")


@app.command()
def reconcile() -> None:
    """Check every anchored root against the chain, re-anchor vanished ones, retry failures."""
    configure_logging()
    with open_runtime(start_worker=False) as runtime:
        try:
            report = runtime.anchoring.reconcile(full=True, wait=True, retry_failed=True)
            anchored = runtime.anchoring.run_once(force=False, wait=True)
        except ChainError as exc:
            typer.echo(message("cli.reconcile_failed", tail=exc), err=True)
            raise typer.Exit(1) from exc
        typer.echo(
            json.dumps({"reconcile": report.as_dict(), "anchored": anchored.as_dict()}, indent=2)
        )
        if report.refused:
            raise typer.Exit(1)


@app.command()
def upgrade() -> None:
    """Upgrade from proof rules v1: a v2 registry, every v1 lot sealed (docs/deploy.md)."""
    from backend.services.anchoring.upgrade import UpgradeError, run_upgrade

    configure_logging()
    with open_runtime(start_worker=False) as runtime:
        try:
            report = run_upgrade(
                engine=runtime.engine,
                settings=runtime.settings,
                chain=runtime.require_chain(),
                anchoring=runtime.anchoring,
            )
        except (ChainError, UpgradeError) as exc:
            typer.echo(message("cli.upgrade.failed", tail=exc), err=True)
            raise typer.Exit(1) from exc
    typer.echo(json.dumps(report.as_dict(), indent=2))
    typer.echo(message("cli.upgrade.done" if report.changed else "cli.upgrade.nothing_to_do"))


@app.command("verify-proof")
def verify_proof(
    file: Annotated[Path, typer.Argument(help="Proof bundle (GET /api/v1/lots/{code}/proof)")],
    rpc: Annotated[str, typer.Option(help="JSON-RPC URL of any node of the chain")],
    contract: Annotated[
        list[str] | None,
        typer.Option(
            help="Registry address to trust (default: contracts/deployments/<chain-id>.json "
            "with the retired registries it lists; never the address the bundle names). "
            "Repeat it for an upgraded installation: the first is the registry in use, each "
            "further one a retired registry that older batches are anchored on"
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Data folder whose deployment record to trust (development chains)"),
    ] = None,
) -> None:
    """Check a proof bundle using only the bundle and a chain node; exit 0 when all holds,
    1 when anything is forged or missing, 2 when the check is incomplete. A batch anchored on
    a registry retired by ``sentrace upgrade`` is checked there, if the deployment record (or
    a further ``--contract``) names it."""
    from backend.services.verification import offline as checker

    code, report = checker.run(file, rpc=rpc, contract=contract, data_dir=data_dir)
    typer.echo(report)
    raise typer.Exit(code)


heads_app = typer.Typer(help=message("cli.heads.help"), no_args_is_help=True)
app.add_typer(heads_app, name="heads")


@contextmanager
def _database_session() -> Iterator[Session]:
    """A session on the configured database alone: the heads map needs no chain."""
    engine = make_engine(load_settings().resolved_database_url)
    try:
        with Session(engine) as session:
            yield session
    except OperationalError as exc:
        typer.echo(message("cli.database_unreachable", tail=exc.orig), err=True)
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()


@heads_app.command("rebuild")
def heads_rebuild(
    replay: Annotated[
        bool, typer.Option(help="Also replay every batch's heads move, in order")
    ] = False,
) -> None:
    """Recompute the lot heads map from the anchored events; exit 0 when it matches."""
    from backend.services.anchoring.heads import audit_heads, replay_heads

    with _database_session() as session:
        audit = audit_heads(session)
        replayed = replay_heads(session) if replay else None
    typer.echo(message("cli.heads.rebuilt", tail=to_hex(audit.rebuilt)))
    typer.echo(message("cli.heads.recorded", tail=to_hex(audit.recorded)))
    if audit.stored is None:
        typer.echo(message("cli.heads.stored_unreadable"))
    else:
        typer.echo(message("cli.heads.stored", tail=to_hex(audit.stored)))
    if audit.unreadable:
        typer.echo(message("cli.heads.unreadable", tail=audit.unreadable))
    if replayed is not None:
        typer.echo(message("cli.heads.replayed", tail=replayed.batches))
        if replayed.broken_at is not None:
            typer.echo(message(f"cli.heads.broken_{replayed.why}", tail=replayed.broken_at))
    agrees = audit.agrees and (replayed is None or replayed.broken_at is None)
    typer.echo(message("cli.heads.agree" if agrees else "cli.heads.disagree"))
    raise typer.Exit(0 if agrees else 1)


@heads_app.command("show")
def heads_show(lot: Annotated[str, typer.Argument(help="Lot code")]) -> None:
    """Print a lot's anchored head and its proof against the newest heads root."""
    from backend.services.anchoring.heads import anchored_heads, head_proof, newest_base

    key = lot_key(lot)
    with _database_session() as session:
        base = newest_base(session)
        found = anchored_heads(session, up_to=base.version, lot_code=lot)
        proof = head_proof(session, lot_key=key, heads_root=base.root)
    typer.echo(message("cli.heads.root", tail=to_hex(base.root)))
    if found:
        _, head_hash, seq = found[0]
        typer.echo(message("cli.heads.head", tail=f"seq {seq}, {head_hash}"))
    else:
        typer.echo(message("cli.heads.no_head"))
    holds = False
    if proof is not None:
        typer.echo(f"bitmap: {proof.bitmap:#066x}")
        typer.echo("\n".join(["siblings:", *(f"  {to_hex(s)}" for s in proof.siblings)]))
        holds = (
            verify_head(base.root, key, from_hex(head_hash), seq, proof.bitmap, proof.siblings)
            if found
            else verify_no_head(base.root, key, proof.bitmap, proof.siblings)
        )
    typer.echo(message("cli.heads.proof_holds" if holds else "cli.heads.proof_fails"))
    raise typer.Exit(0 if holds else 1)


def _register_extensions() -> None:
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(app)


_register_extensions()
