"""Public endpoints are rate-limited per client, with 429 and ``Retry-After``.

A live server with a small limit; two clients that differ the way two phones do, by address:
one connects from 127.0.0.1, the other from 127.0.0.2 (all of 127/8 is loopback on Linux).
Every public read (consumer pages, the verification JSON, the proof bundle, the lot record,
a batch) must give each client exactly ``limit`` answers and then 429 with a JSON body and a
whole-second ``Retry-After``, while the other client is still served. A limit of 0 turns it off.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backend.http.rate_limit import RATE_LIMITED_MESSAGE
from tests.support.app import ADMIN
from tests.support.server import ServerFactory, ServerProcess, server_env

LIMIT = 5
PUBLIC_PATHS = [
    "/l/RL-1",
    "/01/08935000000014/10/RL-1",
    "/api/v1/lots/RL-1/verification",
    "/api/v1/lots/RL-1/proof",
    "/api/v1/lots/RL-1",
    "/api/v1/batches/0x" + "00" * 32,
]


def client_from(server: ServerProcess, address: str) -> httpx.Client:
    """A client whose connections leave from ``address``: a different client to the server."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=server.url, transport=transport, timeout=30)


def seed(server: ServerProcess) -> None:
    """A lot RL-1 of a product with a GTIN, so every public path has something to show."""
    with server.client() as http:
        made = http.post(
            "/api/v1/orgs",
            json={"slug": "htx", "name": "HTX", "role": "cooperative", "key_custody": "custodial"},
            headers=ADMIN,
        )
        key = {"Authorization": f"Bearer {made.json()['api_key']}"}
        farm = {"code": "F-01", "name": "Vườn", "commune": "Mỹ Xương"}
        assert http.post("/api/v1/farms", json=farm, headers=key).status_code == 201
        prefix = {"prefix": "8935000", "licence": "GS1 Việt Nam"}
        assert http.post("/api/v1/orgs/htx/gs1-prefixes", json=prefix, headers=ADMIN).is_success
        product = {"code": "xoai", "name_vi": "Xoài", "gtin": "08935000000014"}
        assert http.post("/api/v1/products", json=product, headers=key).status_code == 201
        lot = {
            "code": "RL-1",
            "product": "xoai",
            "farm": "F-01",
            "quantity": "5",
            "unit": "kg",
            "harvested_at": "2026-05-01T06:30:00Z",
        }
        assert http.post("/api/v1/lots", json=lot, headers=key).status_code == 201


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One limited server for the module; each test uses client addresses of its own."""
    root = tmp_path_factory.mktemp("limited")
    env = server_env(
        root / "data", chain_rpc_url="memory", worker_enabled=False, rate_limit_per_minute=LIMIT
    )
    server = ServerProcess(env=env, log_path=root / "server.log").start()
    try:
        seed(server)
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("index", range(len(PUBLIC_PATHS)), ids=PUBLIC_PATHS)
def test_each_public_endpoint_serves_the_limit_then_429_per_client(
    limited: ServerProcess, index: int
) -> None:
    path = PUBLIC_PATHS[index]
    first_address, second_address = f"127.0.1.{2 * index + 1}", f"127.0.1.{2 * index + 2}"
    with (
        client_from(limited, first_address) as first,
        client_from(limited, second_address) as second,
    ):
        answers = [first.get(path) for _ in range(LIMIT)]
        assert all(a.status_code in (200, 404) for a in answers), [a.status_code for a in answers]
        refused = first.get(path)
        assert refused.status_code == 429, (path, refused.status_code, refused.text[:200])
        retry_after = refused.headers.get("retry-after", "")
        assert retry_after.isdigit() and 1 <= int(retry_after) <= 60
        assert refused.json()["detail"] == RATE_LIMITED_MESSAGE
        assert second.get(path).status_code in (200, 404)  # another client is still served


def test_the_limit_is_configurable_and_zero_turns_it_off(
    tmp_path: Path, server_factory: ServerFactory
) -> None:
    env = server_env(
        tmp_path / "data", chain_rpc_url="memory", worker_enabled=False, rate_limit_per_minute=0
    )
    server = server_factory(env)
    seed(server)
    with client_from(server, "127.0.0.1") as http:
        statuses = {http.get("/l/RL-1").status_code for _ in range(4 * LIMIT)}
    assert statuses == {200}


def test_the_limit_does_not_touch_authenticated_writes(limited: ServerProcess) -> None:
    with client_from(limited, "127.0.2.1") as http:
        for i in range(2 * LIMIT):
            answer = http.post(
                "/api/v1/orgs",
                json={"slug": f"org-{i}", "name": "Tổ chức", "role": "retailer"},
                headers=ADMIN,
            )
            assert answer.status_code == 201, answer.text
