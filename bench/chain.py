"""A throw-away anvil node and a client signing with its first development account."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from eth_account import Account

from backend.chain.anvil import DEFAULT_BINARY, ManagedAnvil
from backend.chain.client import ChainClient
from backend.chain.providers import http_web3
from backend.config import DEMO_ANCHOR_PRIVATE_KEY


class ComponentMissing(RuntimeError):
    """A component a section needs (anvil, PostgreSQL) is not installed; the section skips."""


def client_at(url: str) -> ChainClient:
    """A client of the anvil at ``url`` with its prefunded account (the public demo key)."""
    account = Account.from_key(DEMO_ANCHOR_PRIVATE_KEY)
    return ChainClient(http_web3(url), account, endpoint=url)


def client_for(node: ManagedAnvil) -> ChainClient:
    """A client of ``node`` with anvil's prefunded account."""
    return client_at(node.url)


@contextmanager
def local_anvil(work_dir: Path) -> Iterator[ManagedAnvil]:
    """An anvil on a free loopback port, state under ``work_dir``, stopped on exit."""
    if not DEFAULT_BINARY.exists():
        raise ComponentMissing(f"anvil not found at {DEFAULT_BINARY}; run `npm ci`")
    node = ManagedAnvil(work_dir).start()
    try:
        yield node
    finally:
        node.stop()


@contextmanager
def deployed_registry(work_dir: Path) -> Iterator[tuple[ManagedAnvil, ChainClient]]:
    """A fresh anvil with a freshly deployed TraceRegistry."""
    with local_anvil(work_dir) as node:
        client = client_for(node)
        client.deploy_registry()
        yield node, client
