"""A JSON-RPC relay between the server under test and anvil, that can stop time at one call.

Fault tests need to crash a process at an exact point of the anchoring pipeline ("the batch is
stored but its transaction not yet sent", "sent but not yet confirmed") without a hook in the
application. The server's chain traffic goes through this relay, which forwards each request
to the upstream node unchanged, except that a test can arm a :class:`Hold`:

* ``before="eth_sendRawTransaction"``: the first such request is held, never forwarded, until
  the test releases it, so the transaction provably never reached the chain;
* ``answer_withheld="eth_sendRawTransaction"``: the request is forwarded (the node mines it)
  but its answer is held, so the server never learns that it was sent;
* ``after="eth_sendRawTransaction"``: the request and its answer pass, and the next request of
  any kind is held, so the server has recorded the send and not yet looked for a receipt.

While a request is held the test kills whatever it wants (the server, anvil) and then calls
:meth:`Hold.release`. A request whose upstream is down is answered by closing the connection,
as a dead node's would be. The upstream URL can change between requests (anvil restarted on
another port).
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from backend.chain.anvil import LOOPBACK

#: Longest a held request waits for release (a forgotten hold must not hang the suite).
HOLD_LIMIT_S = 120.0
UPSTREAM_TIMEOUT_S = 30.0


@dataclass
class Hold:
    """One armed stop: which call to catch, and whether it reaches the node."""

    method: str
    mode: str  # "before", "answer_withheld" or "after"
    needle: str | None = None  # lowercase hex the request must contain (a function selector)
    caught: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    caught_method: str | None = None
    triggered: bool = False  # for "after": the named call went through, hold the next one
    forward: bool = True  # on release: send the held request on, or hang up on it

    def wait_caught(self, timeout: float = 60.0) -> str:
        """Block until a request is held; the JSON-RPC method it carried."""
        if not self.caught.wait(timeout):
            raise TimeoutError(f"no {self.mode} {self.method} call within {timeout:g} s")
        assert self.caught_method is not None
        return self.caught_method

    def release(self, *, forward: bool = True) -> None:
        """Let the held request go on (``forward``) or hang up on it (its sender is gone)."""
        self.forward = forward
        self.released.set()


def _methods(body: bytes) -> list[str]:
    try:
        parsed: Any = json.loads(body)
    except ValueError:
        return []
    calls = parsed if isinstance(parsed, list) else [parsed]
    return [str(call.get("method")) for call in calls if isinstance(call, dict)]


class RpcProxy:
    """A threaded loopback HTTP relay; see the module docstring."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self._hold: Hold | None = None
        self._lock = threading.Lock()
        self.forwarded: list[bytes] = []  # bodies the upstream node answered
        self._server = ThreadingHTTPServer((LOOPBACK, 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> RpcProxy:
        self._thread.start()
        return self

    def close(self) -> None:
        with self._lock:
            hold, self._hold = self._hold, None
        if hold is not None:
            hold.release(forward=False)
        self._server.shutdown()
        self._server.server_close()

    def arm(self, method: str, *, mode: str = "before", needle: str | None = None) -> Hold:
        """Hold the next matching call (see the module docstring for the modes).

        ``needle`` narrows the match to requests whose body contains it, e.g. the selector of
        ``anchorBatch`` inside a raw transaction, so a milestone sent first is not caught.
        """
        assert mode in {"before", "answer_withheld", "after"}
        hold = Hold(method=method, mode=mode, needle=needle.lower() if needle else None)
        with self._lock:
            self._hold = hold
        return hold

    def delivered(self, method: str, needle: str) -> int:
        """How many ``method`` requests containing ``needle`` (lowercase hex) reached the node."""
        with self._lock:
            bodies = list(self.forwarded)
        return sum(
            1
            for body in bodies
            if method in _methods(body) and needle in body.decode("latin-1").lower()
        )

    # ------------------------------------------------------------------ request path

    def _catch(self, body: bytes) -> tuple[Hold | None, bool]:
        """(hold to wait on, whether to forward first) for one request body."""
        methods = _methods(body)
        with self._lock:
            hold = self._hold
            if hold is None or hold.caught.is_set():
                return None, True
            matches = hold.method in methods and (
                hold.needle is None or hold.needle in body.decode("latin-1").lower()
            )
            if hold.mode == "after":
                if hold.triggered:
                    hold.caught_method = methods[0] if methods else "?"
                    return hold, False
                hold.triggered = matches
                return None, True
            if not matches:
                return None, True
            hold.caught_method = hold.method
            return hold, hold.mode == "answer_withheld"

    def _forward(self, body: bytes) -> bytes | None:
        request = urllib.request.Request(  # noqa: S310 (loopback URL set by the test)
            self.upstream, data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=UPSTREAM_TIMEOUT_S) as response:  # noqa: S310
                answer = bytes(response.read())
        except (OSError, urllib.error.URLError):
            return None
        with self._lock:
            self.forwarded.append(body)
        return answer

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the test output is not the place for a line per RPC call."""

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                hold, forward_first = proxy._catch(body)
                answer: bytes | None = None
                if hold is not None and forward_first:
                    answer = proxy._forward(body)
                if hold is not None:
                    hold.caught.set()
                    hold.released.wait(HOLD_LIMIT_S)
                    if not forward_first and hold.forward:
                        answer = proxy._forward(body)
                    elif not hold.forward:
                        answer = None
                elif forward_first:
                    answer = proxy._forward(body)
                self._reply(answer)

            def _reply(self, answer: bytes | None) -> None:
                if answer is None:  # upstream down: hang up, as a dead node's socket would
                    self.close_connection = True
                    return
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:  # the caller died while we held its request
                    self.close_connection = True

        return Handler
