"""A minimal JSON-RPC reader over kept-alive ``http.client`` connections, for hot reads.

Every verification asks the node for one block hash (the canary, see
``services.chain_cache``). Through web3's ``HTTPProvider`` that request costs ~0.8 ms of CPU,
most of it in ``requests`` (session merging, proxy and ``.netrc`` look-ups from the
environment, adapters); the same request on a plain kept-alive connection costs ~0.2 ms.

The reader is deliberately narrow: plain ``http``/``https`` URLs without credentials, one
connection per thread (``http.client`` connections are not thread-safe), and any trouble —
refused connection, unexpected answer, an RPC error — is reported as :class:`LightRpcFailed`
so the caller can ask again through web3, whose error mapping is the one the rest of the
chain layer relies on. Only a timeout is final: the node hung once already, and asking it
again the slow way would double the wait.
"""

from __future__ import annotations

import http.client
import itertools
import json
import threading
from typing import Any
from urllib.parse import urlsplit

from backend.chain.errors import ChainUnavailable
from backend.json_depth import loads_bounded


class LightRpcFailed(Exception):
    """The light path could not answer; ask again through web3."""


class LightRpc:
    """JSON-RPC calls to one node URL on a kept-alive connection per thread."""

    def __init__(self, url: str, *, timeout: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not a plain http(s) URL: {url!r}")
        if parts.username or parts.password:
            raise ValueError("URLs with credentials go through web3")
        self.url = url
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._timeout = timeout
        self._local = threading.local()
        self._ids = itertools.count(1)

    @staticmethod
    def supports(url: str) -> bool:
        parts = urlsplit(url)
        return (
            parts.scheme in ("http", "https")
            and bool(parts.hostname)
            and not (parts.username or parts.password)
        )

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            connection = kind(self._host, self._port, timeout=self._timeout)
            self._local.connection = connection
        return connection

    def _drop_connection(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            connection.close()

    def call(self, method: str, params: list[Any]) -> Any:
        """The ``result`` of one call; :class:`LightRpcFailed` for anything but a result."""
        body = json.dumps(
            {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        ).encode()
        headers = {"Content-Type": "application/json"}
        # A kept-alive connection the node closed in between fails once: retry on a new one.
        for attempt in (1, 2):
            connection = self._connection()
            try:
                connection.request("POST", self._path, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                status = response.status
                break
            except TimeoutError as exc:
                self._drop_connection()
                raise ChainUnavailable(f"{self.url}: no answer within {self._timeout:g} s") from exc
            except (OSError, http.client.HTTPException) as exc:
                self._drop_connection()
                if attempt == 2:
                    raise LightRpcFailed(str(exc)) from exc
        if status != 200:
            raise LightRpcFailed(f"HTTP {status}")
        try:
            answer = loads_bounded(payload)
        except ValueError as exc:
            raise LightRpcFailed("answer is not JSON") from exc
        if not isinstance(answer, dict) or "error" in answer or "result" not in answer:
            raise LightRpcFailed("no result in the answer")
        return answer["result"]


_READERS: dict[tuple[str, float], LightRpc] = {}
_READERS_LOCK = threading.Lock()


def light_rpc_for(url: str, *, timeout: float) -> LightRpc | None:
    """The shared reader of ``url``, or None when the URL needs web3's full stack."""
    if not LightRpc.supports(url):
        return None
    key = (url, timeout)
    with _READERS_LOCK:
        reader = _READERS.get(key)
        if reader is None:
            reader = _READERS[key] = LightRpc(url, timeout=timeout)
        return reader
