"""A live app on a real anvil with a lot and two ancestors, for the browser check's tests.

The app's chain node is a fresh anvil on loopback; no public RPC endpoint is configured, so the
lot page offers the development default, that same node (backend/web/consumer/browser_check).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient

from backend.app import create_app
from backend.chain.anvil import ManagedAnvil
from backend.runtime import Runtime
from bench.browser_lineage import Lineage, record_lineage
from tests.support.anvil import start_anvil
from tests.support.app import ADMIN, make_settings
from tests.web.live import serving


@dataclass(frozen=True)
class CheckServer:
    url: str
    runtime: Runtime
    node: ManagedAnvil
    lineage: Lineage

    def lot_url(self, code: str | None = None) -> str:
        return f"{self.url}/l/{code or self.lineage.lot}"


@contextmanager
def check_server(root: Path, *, events: int = 4) -> Iterator[CheckServer]:
    """Anvil, the app on it with the lineage recorded, served on a free port."""
    node = start_anvil(root / "anvil")
    settings = make_settings(
        root / "data",
        f"sqlite:///{(root / 'ledger.db').as_posix()}",
        chain_rpc_url=node.url,
        event_schema=2,
        rate_limit_per_minute=0,
    )
    runtime = Runtime.start(settings, start_worker=False)
    try:
        with TestClient(create_app(runtime)) as client:
            lineage = record_lineage(client, runtime, admin=ADMIN, events=events)
        with serving(runtime) as url:
            yield CheckServer(url, runtime, node, lineage)
    finally:
        runtime.close()
        node.stop()
