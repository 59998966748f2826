"""JSON-RPC failure modes that need no node: refused connections and a node that hangs."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from eth_account import Account

from backend.chain.client import ChainClient
from backend.chain.errors import ChainUnavailable
from backend.chain.providers import http_web3
from backend.config import DEMO_ANCHOR_PRIVATE_KEY


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A loopback TCP server that accepts connections and never answers (a hung node)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


def client_for(url: str, timeout: float) -> ChainClient:
    account = Account.from_key(DEMO_ANCHOR_PRIVATE_KEY)
    return ChainClient(http_web3(url, timeout=timeout), account, endpoint=url)


def test_a_hung_node_is_unavailable_after_the_request_timeout(silent_server: str) -> None:
    client = client_for(silent_server, timeout=0.3)
    with pytest.raises(ChainUnavailable) as caught:
        client.block_number()
    assert str(caught.value) == f"chain node at {silent_server} is unreachable (timed out)"
    assert client.is_connected() is False


def test_a_refused_connection_is_unavailable() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = client_for(f"http://127.0.0.1:{port}", timeout=1.0)
    with pytest.raises(ChainUnavailable, match=r"Connection refused"):
        _ = client.chain_id
