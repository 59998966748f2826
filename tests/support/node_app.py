"""A server runtime on a given JSON-RPC node (often a test's hostile proxy), and raw JSON-RPC
calls to a node or proxy.

Tests of anchoring against a real or hostile node all start the same way: the app on a fresh
SQLite ledger, talking to the node, with one cooperative (``htx``), a farm and a product to
record harvests under. Built here once, so each test says only what is special about its node.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from backend.app import create_app
from backend.runtime import Runtime
from tests.support.app import Actors, make_settings
from tests.support.ledger_flow import activate_keys


def rpc_answer(url: str, method: str, *params: Any) -> Any:
    """The whole JSON-RPC answer (``result`` or ``error``): for tests of what a node refuses."""
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    return httpx.post(url, json=body, timeout=10).json()


def rpc(url: str, method: str, *params: Any) -> Any:
    """The ``result`` of a JSON-RPC call that must succeed."""
    answer = rpc_answer(url, method, *params)
    assert "error" not in answer, answer
    return answer["result"]


@contextmanager
def app_on_node(
    folder: Path, rpc_url: str, registry: str | None = None, **overrides: Any
) -> Iterator[tuple[Runtime, Actors]]:
    """The app (no worker: tests drive the passes) with ``htx``, farm ``F-01`` and product
    ``xoai`` made and ``htx``'s custodial signing key recorded on chain (so a test's first pass
    anchors its events at once); without ``registry`` the runtime deploys one. ``overrides``
    are settings."""
    if registry is not None:
        overrides["contract_address"] = registry
    settings = make_settings(
        folder / "data", f"sqlite:///{folder / 'ledger.db'}", chain_rpc_url=rpc_url, **overrides
    )
    runtime = Runtime.start(settings, start_worker=False)
    try:
        with TestClient(create_app(runtime)) as http:
            actors = Actors(http)
            actors.org("htx", "cooperative")
            actors.post(
                "/api/v1/farms", "htx", {"code": "F-01", "name": "V", "commune": "Tân Hộ Cơ"}
            )
            actors.post("/api/v1/products", "htx", {"code": "xoai", "name_vi": "Xoài"})
            activate_keys(runtime)
            yield runtime, actors
    finally:
        runtime.close()
