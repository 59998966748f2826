"""The light JSON-RPC reader behind the canary: same answers as web3, and safe failures.

Against a real anvil it must answer what web3 answers; against a node that refuses, closes or
answers nonsense it must say "ask web3" (``LightRpcFailed``), and against a node that accepts
the connection and never answers it must give up after its timeout (``ChainUnavailable``).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from backend.chain.anvil import ManagedAnvil, free_port
from backend.chain.errors import ChainUnavailable
from backend.chain.light_rpc import LightRpc, LightRpcFailed, light_rpc_for
from backend.chain.types import EMPTY_HEADS_ROOT, HeadsUpdate
from backend.services.verification.chain_view import ChainView, _read_heads_root
from tests.support.anvil import demo_client


@pytest.mark.anvil
def test_answers_what_web3_answers_and_survives_a_restart_of_the_connection(
    anvil_node: ManagedAnvil,
) -> None:
    client = demo_client(anvil_node)
    client.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    reader = LightRpc(anvil_node.url, timeout=5.0)
    assert int(reader.call("eth_blockNumber", []), 16) == client.w3.eth.block_number
    block = reader.call("eth_getBlockByNumber", ["0x1", False])
    assert bytes.fromhex(block["hash"][2:]) == bytes(client.w3.eth.get_block(1)["hash"])
    reader._drop_connection()  # a closed keep-alive connection is reopened
    assert reader.call("eth_getBlockByNumber", ["0x99999", False]) is None


@pytest.mark.anvil
def test_an_rpc_error_is_left_to_web3(anvil_node: ManagedAnvil) -> None:
    reader = LightRpc(anvil_node.url, timeout=5.0)
    with pytest.raises(LightRpcFailed):
        reader.call("no_such_method", [])


def test_a_refused_connection_is_left_to_web3() -> None:
    reader = LightRpc(f"http://127.0.0.1:{free_port()}", timeout=2.0)
    with pytest.raises(LightRpcFailed):
        reader.call("eth_blockNumber", [])


class _Answer(BaseHTTPRequestHandler):
    body = b"{}"
    status = 200

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def odd_node() -> Iterator[tuple[str, type[_Answer]]]:
    handler = type("Handler", (_Answer,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, b"not json"),
        (200, b'{"jsonrpc": "2.0", "id": 1}'),
        (200, b'{"jsonrpc": "2.0", "id": 1, "error": {"code": -32000, "message": "x"}}'),
        (502, b'{"jsonrpc": "2.0", "id": 1, "result": "0x1"}'),
    ],
)
def test_answers_without_a_result_are_left_to_web3(
    odd_node: tuple[str, type[_Answer]], status: int, body: bytes
) -> None:
    url, handler = odd_node
    handler.status, handler.body = status, body
    with pytest.raises(LightRpcFailed):
        LightRpc(url, timeout=2.0).call("eth_blockNumber", [])


def test_a_node_that_never_answers_is_unavailable_after_the_timeout() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # queues the connections, never reads or answers them
    try:
        reader = LightRpc(f"http://127.0.0.1:{listener.getsockname()[1]}", timeout=0.5)
        with pytest.raises(ChainUnavailable):
            reader.call("eth_blockNumber", [])
        # One timeout, not a retry loop: the reader connected exactly once.
        listener.setblocking(False)
        accepted, _ = listener.accept()
        accepted.close()
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()


@pytest.mark.parametrize(
    "url", ["ws://127.0.0.1:8545", "http://user:secret@127.0.0.1:8545", "ipc:///tmp/x"]
)
def test_urls_it_cannot_serve_go_to_web3(url: str) -> None:
    assert light_rpc_for(url, timeout=1.0) is None


@pytest.mark.anvil
def test_the_canary_read_falls_back_to_web3_errors_when_the_node_is_gone(
    anvil_node: ManagedAnvil,
) -> None:
    client = demo_client(anvil_node)
    assert ChainView._block_hash(client, 0) == bytes(client.w3.eth.get_block(0)["hash"])
    anvil_node.stop()
    with pytest.raises(ChainUnavailable):
        ChainView._block_hash(client, 0)


@pytest.mark.anvil
def test_the_heads_root_read_answers_what_the_registry_answers(anvil_node: ManagedAnvil) -> None:
    client = demo_client(anvil_node)
    client.deploy_registry()
    assert _read_heads_root(client) == client.heads_root() == EMPTY_HEADS_ROOT
    moved = bytes.fromhex("ab" * 32)
    client.anchor_batch(bytes.fromhex("cd" * 32), 3, HeadsUpdate(EMPTY_HEADS_ROOT, moved))
    assert _read_heads_root(client) == moved == client.heads_root()
