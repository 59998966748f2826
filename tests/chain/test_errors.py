"""The translation boundary maps every web3/transport exception it claims to, and only those."""

from __future__ import annotations

from collections.abc import Callable

import aiohttp
import pytest
import requests
from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector
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

from backend.chain.artifacts import registry_artifact
from backend.chain.errors import (
    MAPPED,
    ChainError,
    ChainRejected,
    ChainReverted,
    ChainTimeout,
    ChainUnavailable,
    StaleHeadsRoot,
    to_chain_error,
    translate_errors,
)

ROOT = bytes(range(32))
ALREADY_ANCHORED = (
    "0x"
    + (
        function_signature_to_4byte_selector("TraceRegistryRootAlreadyAnchored(bytes32,uint64)")
        + encode(["bytes32", "uint64"], [ROOT, 1_718_000_000])
    ).hex()
)

#: One real instance of every library exception type the boundary maps.
SAMPLES: dict[type[BaseException], Callable[[], BaseException]] = {
    ContractCustomError: lambda: ContractCustomError(ALREADY_ANCHORED, data=ALREADY_ANCHORED),
    ContractPanicError: lambda: ContractPanicError(
        "Panic error 0x11", data="0x4e487b71" + "00" * 31 + "11"
    ),
    ContractLogicError: lambda: ContractLogicError("execution reverted"),
    TimeExhausted: lambda: TimeExhausted("no receipt"),
    BadFunctionCallOutput: lambda: BadFunctionCallOutput("is contract deployed correctly?"),
    ProviderConnectionError: lambda: ProviderConnectionError("cannot connect"),
    RequestTimedOut: lambda: RequestTimedOut("request timed out"),
    requests.ConnectionError: lambda: requests.ConnectionError("refused"),
    requests.Timeout: lambda: requests.Timeout("read timed out"),
    aiohttp.ClientConnectionError: lambda: aiohttp.ClientConnectionError("refused"),
    ConnectionError: lambda: ConnectionRefusedError(111, "Connection refused"),
    TimeoutError: lambda: TimeoutError("timed out"),
    OSError: lambda: OSError(101, "Network is unreachable"),
    Web3RPCError: lambda: Web3RPCError(
        "nonce too low", rpc_response={"error": {"code": -32000, "message": "nonce too low"}}
    ),
}


def decode(data: str) -> object:
    return registry_artifact().decode_revert(data)


def test_every_mapped_type_has_a_sample() -> None:
    assert {exc_type for exc_type, _ in MAPPED} == set(SAMPLES)


@pytest.mark.parametrize(("exc_type", "target"), MAPPED, ids=lambda v: getattr(v, "__name__", v))
def test_boundary_maps_each_library_exception(
    exc_type: type[BaseException], target: type[ChainError]
) -> None:
    original = SAMPLES[exc_type]()
    assert isinstance(original, exc_type)
    with pytest.raises(target) as caught, translate_errors(endpoint="http://node", decode=decode):
        raise original
    assert caught.value.__cause__ is original


def test_custom_error_is_decoded_to_name_and_arguments() -> None:
    mapped = to_chain_error(SAMPLES[ContractCustomError](), endpoint="x", decode=decode)
    assert isinstance(mapped, ChainReverted)
    assert mapped.error_name == "TraceRegistryRootAlreadyAnchored"
    assert mapped.error_args == (ROOT, 1_718_000_000)
    assert str(mapped) == f"reverted: TraceRegistryRootAlreadyAnchored(0x{ROOT.hex()}, 1718000000)"


def test_unknown_custom_error_keeps_its_data_in_the_message() -> None:
    data = "0xdeadbeef" + "00" * 32
    mapped = to_chain_error(ContractCustomError(data, data=data), endpoint="x", decode=decode)
    assert isinstance(mapped, ChainReverted)
    assert mapped.error_name is None
    assert data in str(mapped)


def test_error_string_and_panic_are_decoded() -> None:
    reason = "0x08c379a0" + encode(["string"], ["hết hàng"]).hex()
    mapped = to_chain_error(ContractLogicError("x", data=reason), endpoint="x", decode=decode)
    assert isinstance(mapped, ChainReverted)
    assert (mapped.error_name, mapped.error_args) == ("Error", ("hết hàng",))

    panic = to_chain_error(SAMPLES[ContractPanicError](), endpoint="x", decode=decode)
    assert isinstance(panic, ChainReverted)
    assert (panic.error_name, panic.error_args) == ("Panic", (0x11,))


def test_unreachable_node_message_names_the_endpoint_and_the_cause() -> None:
    mapped = to_chain_error(SAMPLES[ConnectionError](), endpoint="http://127.0.0.1:1")
    assert isinstance(mapped, ChainUnavailable)
    assert str(mapped) == "chain node at http://127.0.0.1:1 is unreachable (Connection refused)"


def test_rpc_rejection_carries_the_node_message() -> None:
    mapped = to_chain_error(SAMPLES[Web3RPCError](), endpoint="http://node")
    assert isinstance(mapped, ChainRejected)
    assert str(mapped) == "http://node refused the request: nonce too low"


def test_time_exhausted_becomes_chain_timeout() -> None:
    assert isinstance(to_chain_error(TimeExhausted("x"), endpoint="e"), ChainTimeout)


def test_unmapped_exceptions_pass_through_untouched() -> None:
    with pytest.raises(KeyError), translate_errors(endpoint="e"):
        raise KeyError("programming error")


def test_our_own_errors_pass_through_unchanged() -> None:
    original = ChainTimeout("already ours")
    with pytest.raises(ChainTimeout) as caught, translate_errors(endpoint="e"):
        raise original
    assert caught.value is original


def test_a_stale_heads_root_revert_becomes_its_own_type_with_both_roots() -> None:
    current = bytes(range(1, 33))
    data = (
        "0x"
        + (
            function_signature_to_4byte_selector("TraceRegistryStaleHeadsRoot(bytes32,bytes32)")
            + encode(["bytes32", "bytes32"], [ROOT, current])
        ).hex()
    )
    mapped = to_chain_error(ContractCustomError(data, data=data), endpoint="x", decode=decode)
    assert isinstance(mapped, StaleHeadsRoot)
    assert (mapped.prev_heads_root, mapped.current_heads_root) == (ROOT, current)
    assert str(mapped).startswith(
        f"reverted: TraceRegistryStaleHeadsRoot(0x{ROOT.hex()}, 0x{current.hex()}): "
    )
