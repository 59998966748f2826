"""The two ways to reach a chain: eth-tester in process, or a node over HTTP JSON-RPC.

Both give a plain :class:`Web3`, so the client above them has one code path and the in-process
chain is the test seam instead of mocks.
"""

from __future__ import annotations

import ast
import threading
from typing import Any, cast

from eth_abi import encode as abi_encode
from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.exceptions import TransactionFailed
from eth_typing import ChecksumAddress
from eth_utils import ValidationError as EthValidationError
from web3 import HTTPProvider, Web3
from web3.middleware import ExtraDataToPOAMiddleware
from web3.providers.eth_tester import EthereumTesterProvider
from web3.types import RPCEndpoint, RPCResponse, Wei

#: How long one HTTP request may take before the node counts as unavailable. Short on purpose:
#: callers retry later, and a hung request must not stall the anchoring worker.
DEFAULT_HTTP_TIMEOUT_S = 5.0

#: What the in-process chain gives the signer: plenty for any test or demo.
MEMORY_FUNDING = Web3.to_wei(1_000, "ether")


_REVERT_PREFIX = "execution reverted: "
_ERROR_STRING_SELECTOR = bytes.fromhex("08c379a0")


def _revert_payload(message: str) -> bytes | None:
    """The raw revert bytes inside web3's eth-tester message, when they survived as a repr."""
    if not message.startswith(_REVERT_PREFIX):
        return None
    reason = message[len(_REVERT_PREFIX) :]
    if reason.startswith(("b'", 'b"')):
        try:
            value = ast.literal_eval(reason)
        except (ValueError, SyntaxError):
            return None
        return value if isinstance(value, bytes) else None
    # web3 already decoded an Error(string); encode it back the way a node would send it.
    return _ERROR_STRING_SELECTOR + abi_encode(["string"], [reason])


class TesterProvider(EthereumTesterProvider):
    """eth-tester behind a lock, answering reverts the way a JSON-RPC node does.

    eth-tester is not thread-safe, so requests from several threads are taken one at a time.
    py-evm's ``ValidationError`` for an unacceptable transaction becomes an RPC error, as a
    node's "nonce too low" or "insufficient funds" would.
    web3 turns eth-tester's reverts into a bare ``TransactionFailed`` whose message holds the
    revert bytes as a Python repr; a node instead answers with an error carrying the revert
    data, which web3 raises as ``ContractCustomError``. Answering like a node here keeps one
    error path (and custom error decoding) for both providers.
    """

    def __init__(self, ethereum_tester: EthereumTester) -> None:
        super().__init__(ethereum_tester)
        self._lock = threading.RLock()

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        with self._lock:
            try:
                return super().make_request(method, params)
            except EthValidationError as exc:
                # py-evm refusing a transaction (bad nonce, no funds): a node's -32000 answer.
                error = {"code": -32000, "message": str(exc)}
                return cast(RPCResponse, {"jsonrpc": "2.0", "id": 0, "error": error})
            except TransactionFailed as exc:
                payload = _revert_payload(str(exc))
                if payload is None:
                    raise
                error = {"code": 3, "message": "execution reverted", "data": "0x" + payload.hex()}
                return cast(RPCResponse, {"jsonrpc": "2.0", "id": 0, "error": error})


def memory_web3() -> Web3:
    """A fresh in-process chain (py-evm), automining one block per transaction."""
    return Web3(TesterProvider(EthereumTester(PyEVMBackend())))


def fund_from_tester(w3: Web3, address: ChecksumAddress, amount: Wei = MEMORY_FUNDING) -> None:
    """Give ``address`` ether from eth-tester's prefunded (unlocked) first account."""
    source = w3.eth.accounts[0]
    tx_hash = w3.eth.send_transaction({"from": source, "to": address, "value": amount})
    w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10)


def http_web3(url: str, *, timeout: float = DEFAULT_HTTP_TIMEOUT_S) -> Web3:
    """A client for a JSON-RPC node; no automatic retries, so an outage surfaces at once."""
    provider = HTTPProvider(
        url, request_kwargs={"timeout": timeout}, exception_retry_configuration=None
    )
    w3 = Web3(provider)
    # Clique/QBFT consortium chains (geth, Besu) put more than 32 bytes in extraData.
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3
