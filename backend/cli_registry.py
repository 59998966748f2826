"""``sentrace deploy-registry`` and ``sentrace registry pause|unpause``: the registry's own life.

A production server never deploys a registry: a node that shows no code at the configured
address (still syncing, lagging, on another network) must not move every anchor to a new,
empty one. So the operator deploys it once with ``deploy-registry``, then sets
``SENTRACE_CONTRACT_ADDRESS`` on every process (docs/deploy.md, section 3). The command is
idempotent: with a registry configured or remembered for the chain, it deploys nothing and
says where that registry is; a configured or remembered address without code is refused as
the server refuses it.

Roles are split at deployment: the anchor key (the servers' signer) becomes the operator, and
``--admin`` names the admin, who grants and revokes roles and pauses. Off a development chain
``--admin`` is required and must not be the anchor key: whoever took the server's key could
otherwise grant roles and lift a pause. ``registry pause`` and ``registry unpause`` sign with
the admin's (or a pauser's) keystore, never with the servers' key. Registered through
``backend.cli.COMMAND_MODULES``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from eth_utils import is_address, to_checksum_address

from backend.chain import ChainClient, ChainConfigError, ChainError
from backend.chain import deployment as deployments
from backend.chain.providers import http_web3
from backend.chain.registry_admin import RegistryAdmin, keystore_account
from backend.chain.signer import resolve_signer
from backend.config import Settings
from backend.data_dir import DataDirError, ensure_data_dir
from backend.i18n.messages import message

registry_app = typer.Typer(help=message("cli.registry.help"), no_args_is_help=True)

AdminOption = Annotated[
    str | None,
    typer.Option(
        "--admin",
        help="Admin address (cold key or multisig): grants roles and pauses; required on a "
        "network, where it must differ from the anchor key. Default on a development chain: "
        "the anchor key",
    ),
]
DelayOption = Annotated[
    int | None,
    typer.Option(
        "--admin-delay",
        min=0,
        max=deployments.MAX_ADMIN_DELAY_S,
        help="Seconds a transfer of the admin role waits before it can be accepted "
        "(default: 172800, two days, on a network; 0 on a development chain)",
    ),
]
KeystoreOption = Annotated[
    Path,
    typer.Option(
        "--keystore",
        exists=True,
        dir_okay=False,
        help="Encrypted keystore (JSON) of the admin or of an account holding PAUSER_ROLE",
    ),
]


def register(app: typer.Typer) -> None:
    app.command("deploy-registry")(deploy_registry)
    app.add_typer(registry_app, name="registry")


def _settings() -> Settings:
    from backend.cli import configure_logging, load_settings  # backend.cli imports this module

    configure_logging()
    settings = load_settings()
    if not (settings.chain_rpc_url or "").startswith(("http://", "https://")):
        typer.echo(message("cli.deploy_registry.needs_rpc"), err=True)
        raise typer.Exit(2)
    return settings


def _check_admin(client: ChainClient, admin: str | None, deploying: bool) -> None:
    """Refuse (exit 2) a deployment off a development chain without a separate admin."""
    if admin is not None and not is_address(admin):
        typer.echo(message("cli.deploy_registry.bad_admin"), err=True)
        raise typer.Exit(2)
    if not deploying or deployments.is_dev_chain(client.chain_id):
        return
    if admin is None:
        typer.echo(message("cli.deploy_registry.needs_admin"), err=True)
        raise typer.Exit(2)
    if to_checksum_address(admin) == client.signer:
        typer.echo(message("cli.deploy_registry.admin_is_signer", address=client.signer), err=True)
        raise typer.Exit(2)


def deploy_registry(admin: AdminOption = None, admin_delay: DelayOption = None) -> None:
    """Deploy the TraceRegistry on SENTRACE_CHAIN_RPC_URL once (allowed in production)."""
    settings = _settings()
    url = str(settings.chain_rpc_url)
    try:
        data_dir = ensure_data_dir(settings.data_dir)
        client = ChainClient(http_web3(url), resolve_signer(settings), endpoint=url)
        remember = client.remember_file(data_dir)  # the first chain id read: demo key guard
        known = deployments.read_deployment(remember, client.chain_id)
        _check_admin(client, admin, deploying=not settings.contract_address and known is None)
        client.deploy_admin, client.deploy_admin_delay = admin, admin_delay
        address = client.ensure_registry(settings.contract_address, remember_file=remember)
    except (DataDirError, ChainConfigError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    except ChainError as exc:
        typer.echo(message("cli.deploy_registry.failed", tail=exc), err=True)
        raise typer.Exit(1) from exc
    record = client.last_deployment
    published = deployments.published_file(client.chain_id)  # none for a development chain
    report = {
        "chain_id": client.chain_id,
        "registry": address,
        "deployed": record is not None,
        "block_number": record.block_number if record else None,
        "tx_hash": record.tx_hash if record else None,
        "admin": record.admin if record else None,
        "operator": record.operator if record else None,
        "admin_delay": record.admin_delay if record else None,
        "remembered_in": str(remember),
        "published_in": str(published) if published.exists() else None,
    }
    typer.echo(json.dumps(report, indent=2))
    if record is not None:
        typer.echo(message("cli.deploy_registry.done", address=address, block=record.block_number))
    else:
        typer.echo(message("cli.deploy_registry.nothing_to_do", address=address))


def _admin_client(keystore: Path, password: str) -> RegistryAdmin:
    """The admin's client, attached to the configured (or remembered) registry."""
    settings = _settings()
    url = str(settings.chain_rpc_url)
    try:
        account = keystore_account(keystore, password)
    except ChainConfigError as exc:
        typer.echo(message("cli.registry.bad_keystore", tail=exc), err=True)
        raise typer.Exit(2) from exc
    try:
        client = RegistryAdmin(http_web3(url), account, endpoint=url)
        address = settings.contract_address
        if not address:
            remember = client.remember_file(settings.data_dir)
            known = deployments.read_deployment(remember, client.chain_id)
            address = known.address if known is not None else None
        if not address:
            typer.echo(message("cli.registry.needs_registry"), err=True)
            raise typer.Exit(2)
        client.attach(address)
    except ChainConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    except ChainError as exc:
        typer.echo(message("cli.registry.failed", tail=exc), err=True)
        raise typer.Exit(1) from exc
    return client


PasswordOption = Annotated[
    str,
    typer.Option(
        prompt=True,
        hide_input=True,
        envvar="SENTRACE_ADMIN_KEYSTORE_PASSWORD",
        help="Password of the keystore (prompted when not given)",
    ),
]


def _set_paused(keystore: Path, password: str, *, paused: bool) -> None:
    client = _admin_client(keystore, password)
    address = client.contract_address
    try:
        if client.paused() is paused:
            key = "cli.registry.already_paused" if paused else "cli.registry.not_paused"
            typer.echo(message(key, address=address))
            return
        result = client.pause() if paused else client.unpause()
    except ChainError as exc:
        typer.echo(message("cli.registry.failed", tail=exc), err=True)
        raise typer.Exit(1) from exc
    report = {"registry": address, "paused": paused, "tx_hash": result.tx_hash, "by": client.signer}
    typer.echo(json.dumps(report, indent=2))
    typer.echo(
        message("cli.registry.paused" if paused else "cli.registry.unpaused", address=address)
    )


@registry_app.command("pause")
def pause_command(keystore: KeystoreOption, password: PasswordOption) -> None:
    """Stop anchoring, milestones and recalls on the registry (emergency); reads go on."""
    _set_paused(keystore, password, paused=True)


@registry_app.command("unpause")
def unpause_command(keystore: KeystoreOption, password: PasswordOption) -> None:
    """Let anchoring, milestones and recalls through again."""
    _set_paused(keystore, password, paused=False)
