"""Errors of the chain layer, and the one place where web3's exceptions become ours.

Callers (the anchoring worker, verification, the CLI) handle a small, stable tree instead of
web3's many exception types, most of which differ between providers::

    ChainError
    ├── ChainUnavailable    the node cannot be reached (refused, reset, HTTP timeout)
    ├── ChainReverted       the contract rejected a call or transaction; carries the decoded
    │   │                   custom error, e.g. "TraceRegistryRootAlreadyAnchored(0x…, 1718…)"
    │   └── StaleHeadsRoot  an anchor assumed a heads root the registry no longer holds
    ├── ChainRejected       the node refused a request (nonce too low, underpriced, no funds)
    ├── ChainTimeout        a transaction was not mined or confirmed in time
    ├── ContractNotFound    no contract code at the configured address
    └── ChainConfigError    settings that cannot work (no signer, unreadable keystore, no URL)

:func:`translate_errors` is the boundary: every web3 call in this package runs inside it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import aiohttp
import requests
from web3.exceptions import (
    BadFunctionCallOutput,
    ContractCustomError,
    ContractLogicError,
    ContractPanicError,
    ProviderConnectionError,
    RequestTimedOut,
    TimeExhausted,
    Web3RPCError,
)


class ChainError(Exception):
    """Root of every error raised by :mod:`backend.chain`."""


class ChainUnavailable(ChainError):
    """The node did not answer: connection refused or reset, or the HTTP request timed out."""


class ChainRejected(ChainError):
    """The node answered with an error that is not a contract revert (bad nonce, fees, funds).

    ``code`` is the JSON-RPC error code when the node gave one: providers reuse messages but
    some codes (-32005 "limit exceeded", 429) tell a temporary refusal on their own (see
    :mod:`backend.chain.error_classes`).
    """

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class ChainTimeout(ChainError):
    """A transaction was not mined, or not confirmed deep enough, within the allowed time."""


class ContractNotFound(ChainError):
    """There is no contract code at the address we were told to use."""


class ChainConfigError(ChainError):
    """The settings cannot produce a working client (missing signer, bad keystore, no URL)."""


#: A production process without a registry address: it never deploys one by itself.
REGISTRY_REQUIRED = (
    "production needs SENTRACE_CONTRACT_ADDRESS: the server never deploys a registry there; "
    "deploy it once with `sentrace deploy-registry` and set its address on every process"
)


def registry_not_found(address: str, chain_id: int, endpoint: str) -> ContractNotFound:
    """No code where the registry should be, saying what to check: the cure is never a new
    registry, since a node still syncing, lagging or on another network shows no code either,
    and a new registry would start empty while the old one still holds every anchor."""
    return ContractNotFound(
        f"no contract code at {address} on chain {chain_id} via {endpoint}: check the RPC URL "
        "(SENTRACE_CHAIN_RPC_URL: a node still syncing or on another network shows none), the "
        "chain id and the registry address (SENTRACE_CONTRACT_ADDRESS); no new registry is "
        "deployed in its place"
    )


@dataclass(frozen=True)
class DecodedRevert:
    """A revert reason in readable form: custom error name and arguments, or Error/Panic."""

    name: str
    args: tuple[object, ...]

    def __str__(self) -> str:
        return f"{self.name}({', '.join(_format_arg(a) for a in self.args)})"


def _format_arg(value: object) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, str) and not value.startswith("0x"):
        return repr(value)
    return str(value)


class ChainReverted(ChainError):
    """The contract reverted. ``revert`` is the decoded reason when the ABI knows it."""

    def __init__(
        self, message: str, *, revert: DecodedRevert | None = None, tx_hash: str | None = None
    ) -> None:
        super().__init__(message)
        self.revert = revert
        self.tx_hash = tx_hash

    @property
    def error_name(self) -> str | None:
        """The custom error's name (``TraceRegistryZeroRoot``), or None when not decodable."""
        return self.revert.name if self.revert else None

    @property
    def error_args(self) -> tuple[object, ...]:
        return self.revert.args if self.revert else ()


class StaleHeadsRoot(ChainReverted):
    """``TraceRegistryStaleHeadsRoot``: an anchor's ``prevHeadsRoot`` is not the registry's.

    Another anchor landed first, or the sender's heads map is behind the chain. Resending the
    same transaction can never succeed: the heads update has to be rebuilt on
    :attr:`current_heads_root`, so callers must not retry it as they retry a node hiccup.
    """

    @property
    def prev_heads_root(self) -> bytes:
        """The heads root the anchor was built on."""
        return bytes(self.error_args[0])  # type: ignore[arg-type]

    @property
    def current_heads_root(self) -> bytes:
        """The heads root the registry holds."""
        return bytes(self.error_args[1])  # type: ignore[arg-type]


#: Decoded reverts that callers handle by type, each with the explanation added to its message.
REVERT_TYPES: dict[str, tuple[type[ChainReverted], str]] = {
    "TraceRegistryStaleHeadsRoot": (
        StaleHeadsRoot,
        "the anchor was built on a heads root the registry no longer holds "
        "(arguments: the anchor's, the registry's); rebuild it, do not resend it",
    ),
}


def reverted(message: str, revert: DecodedRevert, *, tx_hash: str | None = None) -> ChainReverted:
    """The :class:`ChainReverted` (or the subclass :data:`REVERT_TYPES` names) for ``revert``."""
    kind, explanation = REVERT_TYPES.get(revert.name, (ChainReverted, ""))
    text = f"{message}: {explanation}" if explanation else message
    return kind(text, revert=revert, tx_hash=tx_hash)


#: Decodes revert data (``0x`` + selector + arguments) into a readable reason, or None.
RevertDecoder = Callable[[str], DecodedRevert | None]

#: Library exceptions that mean "the node is not there"; requests' errors are OSErrors too,
#: listed for the reader.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    ProviderConnectionError,
    RequestTimedOut,
    requests.ConnectionError,
    requests.Timeout,
    aiohttp.ClientConnectionError,
    ConnectionError,
    TimeoutError,
    OSError,
)

#: Every library exception the boundary maps, in the order it is tried, with our type.
MAPPED: tuple[tuple[type[BaseException], type[ChainError]], ...] = (
    (ContractCustomError, ChainReverted),
    (ContractPanicError, ChainReverted),
    (ContractLogicError, ChainReverted),
    (TimeExhausted, ChainTimeout),
    (BadFunctionCallOutput, ContractNotFound),
    *((exc_type, ChainUnavailable) for exc_type in CONNECTION_ERRORS),
    (Web3RPCError, ChainRejected),
)


def _unreachable_reason(exc: BaseException) -> str:
    """The short cause of a connection failure ("Connection refused"), not urllib3's essay."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, TimeoutError | requests.Timeout):
            return "timed out"
        if isinstance(current, OSError) and current.strerror:
            return current.strerror
        todo.extend(a for a in current.args if isinstance(a, BaseException))
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            todo.append(reason)
    text = str(exc)
    return text if len(text) <= 200 else text[:200] + "…"


def _rpc_message(exc: Web3RPCError) -> str:
    """The node's own error message, without web3's dict repr around it."""
    response = exc.rpc_response or {}
    error = response.get("error") if isinstance(response, dict) else None
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        return error["message"]
    return str(exc.message)


def _rpc_code(exc: Web3RPCError) -> int | None:
    response = exc.rpc_response or {}
    error = response.get("error") if isinstance(response, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, int) else None


def _revert_data(exc: ContractLogicError) -> str | None:
    data = exc.data
    if isinstance(data, dict):
        data = data.get("data")
    return data if isinstance(data, str) and data.startswith("0x") else None


def to_chain_error(
    exc: BaseException, *, endpoint: str, decode: RevertDecoder | None = None
) -> ChainError | None:
    """Our error for a library exception, or None when it is not one the boundary maps."""
    if isinstance(exc, ChainError):
        return exc
    if isinstance(exc, ContractLogicError):
        data = _revert_data(exc)
        decoded = decode(data) if decode and data else None
        if decoded is not None:
            return reverted(f"reverted: {decoded}", decoded)
        return ChainReverted(f"reverted: {exc.message or data or 'no reason given'}")
    if isinstance(exc, TimeExhausted):
        return ChainTimeout(f"{endpoint}: {exc}")
    if isinstance(exc, BadFunctionCallOutput):
        # An empty answer to a view call: no code at the address (the chain was reset).
        return ContractNotFound(f"the registry returned nothing on {endpoint}: {exc}")
    if isinstance(exc, CONNECTION_ERRORS):
        return ChainUnavailable(
            f"chain node at {endpoint} is unreachable ({_unreachable_reason(exc)})"
        )
    if isinstance(exc, Web3RPCError):
        return ChainRejected(
            f"{endpoint} refused the request: {_rpc_message(exc)}", code=_rpc_code(exc)
        )
    return None


@contextmanager
def translate_errors(*, endpoint: str, decode: RevertDecoder | None = None) -> Iterator[None]:
    """Run web3 calls, re-raising mapped library exceptions as :class:`ChainError`."""
    try:
        yield
    except ChainError:
        raise
    except Exception as exc:
        mapped = to_chain_error(exc, endpoint=endpoint, decode=decode)
        if mapped is None:
            raise
        raise mapped from exc
