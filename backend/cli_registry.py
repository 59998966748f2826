"""``sentrace deploy-registry``: the one deliberate deployment of a network's TraceRegistry.

A production server never deploys a registry: a node that shows no code at the configured
address (still syncing, lagging, on another network) must not move every anchor to a new,
empty one. So the operator deploys it once with this command, then sets
``SENTRACE_CONTRACT_ADDRESS`` on every process (docs/deploy.md, section 3). The command is
idempotent: with a registry configured or remembered for the chain, it deploys nothing and
says where that registry is; a configured or remembered address without code is refused as
the server refuses it. Registered through ``backend.cli.COMMAND_MODULES``.
"""

from __future__ import annotations

import json

import typer

from backend.chain import ChainClient, ChainConfigError, ChainError
from backend.chain.deployment import published_file
from backend.chain.providers import http_web3
from backend.chain.signer import resolve_signer
from backend.i18n.messages import message
from backend.runtime import DataDirError, ensure_data_dir


def register(app: typer.Typer) -> None:
    app.command("deploy-registry")(deploy_registry)


def deploy_registry() -> None:
    """Deploy the TraceRegistry on SENTRACE_CHAIN_RPC_URL once (allowed in production)."""
    from backend.cli import configure_logging, load_settings  # backend.cli imports this module

    configure_logging()
    settings = load_settings()
    url = settings.chain_rpc_url or ""
    if not url.startswith(("http://", "https://")):
        typer.echo(message("cli.deploy_registry.needs_rpc"), err=True)
        raise typer.Exit(2)
    try:
        data_dir = ensure_data_dir(settings.data_dir)
        client = ChainClient(http_web3(url), resolve_signer(settings), endpoint=url)
        remember = client.remember_file(data_dir)  # the first chain id read: demo key guard
        address = client.ensure_registry(settings.contract_address, remember_file=remember)
    except (DataDirError, ChainConfigError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    except ChainError as exc:
        typer.echo(message("cli.deploy_registry.failed", tail=exc), err=True)
        raise typer.Exit(1) from exc
    record = client.last_deployment
    published = published_file(client.chain_id)  # none for a development chain
    report = {
        "chain_id": client.chain_id,
        "registry": address,
        "deployed": record is not None,
        "block_number": record.block_number if record else None,
        "tx_hash": record.tx_hash if record else None,
        "remembered_in": str(remember),
        "published_in": str(published) if published.exists() else None,
    }
    typer.echo(json.dumps(report, indent=2))
    done = "cli.deploy_registry.done" if record else "cli.deploy_registry.nothing_to_do"
    typer.echo(message(done, address=address))
