"""ChainClient against the in-process chain: deploy, send, wait, read, errors, nonces."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import pytest
from eth_account import Account
from eth_utils import keccak
from pydantic import SecretStr

from backend.chain.client import ChainClient
from backend.chain.deployment import remember_file
from backend.chain.errors import ChainConfigError, ChainReverted, ChainTimeout, ContractNotFound
from backend.chain.registry_signers import REGULATOR_ROLE
from backend.chain.types import EMPTY_HEADS_ROOT, AnchorLog, TxResult
from backend.config import DEMO_ANCHOR_PRIVATE_KEY, Settings
from backend.hashing.merkle import MerkleTree, leaf_hash

LOT = keccak(text="DT-XOAI-2025-07")
ROOT = keccak(text="a batch root")


def fresh_client() -> ChainClient:
    return ChainClient.in_memory(Account.from_key(DEMO_ANCHOR_PRIVATE_KEY))


# ----------------------------------------------------------------- construction


def test_memory_settings_give_a_funded_signer_on_eth_tester() -> None:
    other_key = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
    settings = Settings(chain_rpc_url="memory", anchor_private_key=SecretStr(other_key))
    client = ChainClient.from_settings(settings)
    assert client.signer == Account.from_key(other_key).address
    assert client.endpoint == "memory"
    assert client.chain_id == client.w3.eth.chain_id
    assert client.w3.eth.get_balance(client.signer) > 0
    assert client.contract_address is None


def test_rpc_url_argument_overrides_settings() -> None:
    client = ChainClient.from_settings(Settings(chain_rpc_url="http://x:1"), rpc_url="memory")
    assert client.endpoint == "memory"


def test_missing_or_unsupported_url_is_a_config_error() -> None:
    with pytest.raises(ChainConfigError, match="no chain RPC URL"):
        ChainClient.from_settings(Settings(chain_rpc_url=None))
    with pytest.raises(ChainConfigError, match="unsupported"):
        ChainClient.from_settings(Settings(), rpc_url="ws://127.0.0.1:8545")


def test_http_client_is_built_without_contacting_the_node() -> None:
    client = ChainClient.from_settings(Settings(), rpc_url="http://127.0.0.1:9")
    assert client.endpoint == "http://127.0.0.1:9"
    assert client.is_connected() is False


def test_registry_calls_before_attaching_are_a_config_error() -> None:
    client = fresh_client()
    with pytest.raises(ChainConfigError, match="ensure_registry"):
        client.anchor_of(ROOT)


# -------------------------------------------------------------------- deployment


def test_deployed_registry_grants_the_signer_every_role_but_regulator(
    memory_client: ChainClient,
) -> None:
    """A development registry: the signer is admin and operator, but never a regulator."""
    registry = memory_client.w3.eth.contract(
        address=memory_client.contract_address, abi=memory_client.artifact.abi
    )
    held = ("DEFAULT_ADMIN_ROLE", "ANCHORER_ROLE", "RECORDER_ROLE", "SIGNER_ADMIN_ROLE")
    for name in held:
        role = getattr(registry.functions, name)().call()
        assert registry.functions.hasRole(role, memory_client.signer).call() is True
    assert memory_client.has_role(REGULATOR_ROLE, memory_client.signer) is False


def test_attach_to_an_address_without_code_raises_contract_not_found() -> None:
    client = fresh_client()
    with pytest.raises(ContractNotFound, match="no contract code"):
        client.attach(client.w3.eth.accounts[3])


def test_attach_rejects_something_that_is_not_an_address() -> None:
    with pytest.raises(ChainConfigError, match="not an address"):
        fresh_client().attach("0x1234")


def test_ensure_registry_deploys_once_and_then_remembers(tmp_path: Path) -> None:
    client = fresh_client()
    path = remember_file(tmp_path, client.chain_id)
    first = client.ensure_registry(None, remember_file=path)
    blocks_after_deploy = client.block_number()

    again = client.ensure_registry(None, remember_file=path)

    assert again == first
    assert client.block_number() == blocks_after_deploy  # nothing was deployed the second time
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored["address"] == first
    assert stored["chain_id"] == client.chain_id


def test_ensure_registry_prefers_an_explicit_address(memory_client: ChainClient) -> None:
    address = memory_client.contract_address
    assert address is not None
    assert memory_client.ensure_registry(address.lower()) == address


def test_ensure_registry_redeploys_when_the_remembered_address_lost_its_code(
    tmp_path: Path,
) -> None:
    client = fresh_client()
    path = remember_file(tmp_path, client.chain_id)
    stale = client.w3.eth.accounts[5]
    path.write_text(
        json.dumps({"chain_id": client.chain_id, "address": stale, "block_number": 0}),
        encoding="utf-8",
    )
    deployed = client.ensure_registry(None, remember_file=path)
    assert deployed != stale
    assert json.loads(path.read_text(encoding="utf-8"))["address"] == deployed


def test_ensure_registry_ignores_a_file_for_another_chain(tmp_path: Path) -> None:
    client = fresh_client()
    path = tmp_path / "contract.json"
    other_chain = {"chain_id": 1, "address": client.w3.eth.accounts[5], "block_number": 0}
    path.write_text(json.dumps(other_chain), encoding="utf-8")
    deployed = client.ensure_registry(None, remember_file=path)
    assert deployed != other_chain["address"]


# ----------------------------------------------------------------------- writing


def test_anchor_batch_then_read_back(memory_client: ChainClient) -> None:
    result = memory_client.anchor_batch(ROOT, 42)

    assert isinstance(result, TxResult)
    assert result.status == 1
    assert 21_000 < result.gas_used <= 57_000
    anchor = memory_client.anchor_of(ROOT)
    assert anchor is not None
    assert (anchor.event_count, anchor.anchorer) == (42, memory_client.signer)
    block = memory_client.w3.eth.get_block(result.block_number)
    assert anchor.timestamp == block["timestamp"]
    assert memory_client.anchor_receipt(ROOT) == AnchorLog(
        result.block_number, result.tx_hash, EMPTY_HEADS_ROOT
    )


def test_unknown_root_has_no_anchor_and_no_receipt(memory_client: ChainClient) -> None:
    assert memory_client.anchor_of(ROOT) is None
    assert memory_client.anchor_receipt(ROOT) is None


def test_send_returns_a_hash_that_wait_for_receipt_resolves(memory_client: ChainClient) -> None:
    tx_hash = memory_client.send_anchor_batch(ROOT, 1)
    assert tx_hash.startswith("0x") and len(tx_hash) == 66
    result = memory_client.wait_for_receipt(tx_hash)
    assert (result.tx_hash, result.status) == (tx_hash, 1)


def test_preflight_reports_the_custom_error_and_spends_no_nonce(
    memory_client: ChainClient,
) -> None:
    first = memory_client.anchor_batch(ROOT, 3)
    nonce_before = memory_client.w3.eth.get_transaction_count(memory_client.signer, "pending")

    with pytest.raises(ChainReverted) as caught:
        memory_client.send_anchor_batch(ROOT, 3)

    timestamp = memory_client.w3.eth.get_block(first.block_number)["timestamp"]
    assert caught.value.error_name == "TraceRegistryRootAlreadyAnchored"
    assert caught.value.error_args == (ROOT, timestamp)
    assert "TraceRegistryRootAlreadyAnchored(0x" in str(caught.value)
    assert memory_client.w3.eth.get_transaction_count(memory_client.signer) == nonce_before
    assert memory_client.anchor_batch(keccak(text="next"), 1).status == 1


@pytest.mark.parametrize(
    ("send", "error"),
    [
        (lambda c: c.send_anchor_batch(b"\x00" * 32, 1), "TraceRegistryZeroRoot"),
        (lambda c: c.send_anchor_batch(ROOT, 0), "TraceRegistryZeroEventCount"),
        (lambda c: c.send_record_lot_event(b"\x00" * 32, 2, ROOT), "TraceRegistryZeroLotKey"),
        (lambda c: c.send_record_lot_event(LOT, 2, b"\x00" * 32), "TraceRegistryZeroEventHash"),
        (lambda c: c.send_recall(LOT, ROOT), "AccessControlUnauthorizedAccount"),
    ],
)
def test_each_rejection_surfaces_as_its_custom_error(
    memory_client: ChainClient, send: object, error: str
) -> None:
    with pytest.raises(ChainReverted) as caught:
        send(memory_client)  # type: ignore[operator]
    assert caught.value.error_name == error


def test_a_mined_failure_is_explained_by_replaying_it(memory_client: ChainClient) -> None:
    """A transaction that passed no pre-flight (another sender, fixed gas) fails on chain."""
    outsider = memory_client.w3.eth.accounts[2]
    registry = memory_client.w3.eth.contract(
        address=memory_client.contract_address, abi=memory_client.artifact.abi
    )
    fn = registry.functions.anchorBatch(ROOT, 1, EMPTY_HEADS_ROOT, EMPTY_HEADS_ROOT)
    tx_hash = fn.transact({"from": outsider, "gas": 100_000})

    with pytest.raises(ChainReverted) as caught:
        memory_client.wait_for_receipt(tx_hash.to_0x_hex())

    assert caught.value.error_name == "AccessControlUnauthorizedAccount"
    assert caught.value.error_args == (outsider, keccak(text="ANCHORER_ROLE"))
    assert caught.value.tx_hash == tx_hash.to_0x_hex()


def test_lot_events_lists_only_that_lot_in_order(memory_client: ChainClient) -> None:
    other = keccak(text="another lot")
    memory_client.record_lot_event(LOT, 2, keccak(text="harvest"))
    memory_client.record_lot_event(other, 2, keccak(text="harvest elsewhere"))
    transfer = memory_client.record_lot_event(LOT, 9, keccak(text="transfer"))

    events = memory_client.lot_events(LOT)

    assert [(e.kind, e.event_hash) for e in events] == [
        (2, keccak(text="harvest")),
        (9, keccak(text="transfer")),
    ]
    assert events[-1].tx_hash == transfer.tx_hash
    assert events[-1].block_number == transfer.block_number
    assert all(e.recorder == memory_client.signer for e in events)
    assert memory_client.lot_events(keccak(text="never recorded")) == []


def test_recall_is_visible_and_final(memory_client: ChainClient) -> None:
    memory_client.grant_regulator(memory_client.signer)  # as a regulator's own key
    with pytest.raises(ChainReverted) as caught:
        memory_client.send_recall(LOT, b"\x00" * 32)
    assert caught.value.error_name == "TraceRegistryZeroReasonHash"
    assert memory_client.is_recalled(LOT) is False
    assert memory_client.recall(LOT, keccak(text="notice")).status == 1
    assert memory_client.is_recalled(LOT) is True
    with pytest.raises(ChainReverted) as caught:
        memory_client.recall(LOT, keccak(text="notice again"))
    assert caught.value.error_name == "TraceRegistryLotAlreadyRecalled"


def test_verify_through_the_contract(memory_client: ChainClient) -> None:
    pairs = [(LOT, keccak(text=f"event {i}")) for i in range(6)]
    tree = MerkleTree.build([leaf_hash(lot, event) for lot, event in pairs])
    proof = tree.proof(leaf_hash(*pairs[4]))
    assert memory_client.verify(proof, tree.root, *pairs[4]) is False  # not anchored yet

    memory_client.anchor_batch(tree.root, len(pairs))

    assert memory_client.verify(proof, tree.root, *pairs[4]) is True
    assert memory_client.verify(proof, tree.root, LOT, keccak(text="forged")) is False


def test_wrong_sized_values_are_refused_before_any_call(memory_client: ChainClient) -> None:
    with pytest.raises(ValueError, match="root must be 32 bytes"):
        memory_client.send_anchor_batch(b"short", 1)
    with pytest.raises(ValueError, match="proof step"):
        memory_client.verify([b"x"], ROOT, LOT, ROOT)


# ------------------------------------------------------------ waiting and nonces


def test_confirmations_wait_for_later_blocks_and_time_out_without_them(
    memory_client: ChainClient,
) -> None:
    result = memory_client.anchor_batch(ROOT, 1)
    assert memory_client.receipt_confirmations(result.block_number) == 1

    with pytest.raises(ChainTimeout, match="3 blocks deep"):
        memory_client.wait_for_receipt(result.tx_hash, confirmations=3, timeout=0.2)

    memory_client.w3.provider.ethereum_tester.mine_blocks(2)  # type: ignore[attr-defined]
    confirmed = memory_client.wait_for_receipt(result.tx_hash, confirmations=3, timeout=5)
    assert confirmed.block_number == result.block_number
    assert memory_client.receipt_confirmations(result.block_number) == 3
    assert memory_client.receipt_confirmations(result.block_number + 10) == 0


def test_unknown_transaction_times_out(memory_client: ChainClient) -> None:
    with pytest.raises(ChainTimeout, match="not mined"):
        memory_client.wait_for_receipt("0x" + "ab" * 32, timeout=0.2)  # type: ignore[arg-type]


def test_concurrent_senders_get_distinct_nonces(memory_client: ChainClient) -> None:
    hashes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def send(i: int) -> None:
        try:
            tx_hash = memory_client.send_record_lot_event(LOT, 2, keccak(text=f"event {i}"))
            with lock:
                hashes.append(tx_hash)
        except BaseException as exc:  # collected and re-raised by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    nonces = {memory_client.w3.eth.get_transaction(h)["nonce"] for h in hashes}
    assert len(nonces) == 8
    assert all(memory_client.wait_for_receipt(h).status == 1 for h in hashes)  # type: ignore[arg-type]
    assert len(memory_client.lot_events(LOT)) == 8


def test_nonce_counter_recovers_after_the_key_is_used_elsewhere(
    memory_client: ChainClient, caplog: pytest.LogCaptureFixture
) -> None:
    memory_client.anchor_batch(keccak(text="first"), 1)  # the local counter is now primed
    account = Account.from_key(DEMO_ANCHOR_PRIVATE_KEY)
    w3 = memory_client.w3
    stray = account.sign_transaction(
        {
            "to": w3.eth.accounts[1],
            "value": 1,
            "gas": 21_000,
            "maxFeePerGas": 10**10,
            "maxPriorityFeePerGas": 10**9,
            "nonce": w3.eth.get_transaction_count(account.address),
            "chainId": memory_client.chain_id,
        }
    )
    w3.eth.send_raw_transaction(stray.raw_transaction)

    with caplog.at_level(logging.INFO, logger="backend.chain"):
        assert memory_client.anchor_batch(keccak(text="second"), 1).status == 1
    # The counter follows the node's pending count, so the stray nonce is skipped, not clashed.
    assert "nonce clash" not in caplog.text
    assert "used elsewhere" in caplog.text
