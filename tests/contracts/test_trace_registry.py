"""TraceRegistry on py-evm: roles, every custom error with its arguments, events, reads."""

from __future__ import annotations

import pytest
from eth_utils import keccak
from web3.exceptions import ContractCustomError

from backend.chain.errors import DecodedRevert
from backend.hashing.merkle import MerkleTree, leaf_hash
from tests.contracts.conftest import EMPTY, Registry

ROLE_NAMES = ("ANCHORER_ROLE", "RECORDER_ROLE", "REGULATOR_ROLE", "SIGNER_ADMIN_ROLE")
#: What the constructor grants the admin (here also the operator): all but REGULATOR_ROLE.
GRANTED = ("ANCHORER_ROLE", "RECORDER_ROLE", "PAUSER_ROLE", "SIGNER_ADMIN_ROLE")
DEFAULT_ADMIN_ROLE = b"\x00" * 32
ROOT = keccak(text="root")
LOT = keccak(text="DT-2025-0001")
EVENT = keccak(text="event")
REASON = keccak(text="recall notice 17/2025")


def block_timestamp(registry: Registry, block_number: int) -> int:
    return int(registry.w3.eth.get_block(block_number)["timestamp"])


# ------------------------------------------------------------------------ roles


def test_role_ids_are_keccak_of_their_names(registry: Registry) -> None:
    for name in ROLE_NAMES:
        assert getattr(registry.contract.functions, name)().call() == keccak(text=name)


def test_constructor_grants_admin_every_role_but_regulator(registry: Registry) -> None:
    """This registry's admin is also its operator (a development chain's deployment); nobody
    is a regulator until the admin grants a regulator's own key the role."""
    fns = registry.contract.functions
    roles = [DEFAULT_ADMIN_ROLE, *(keccak(text=n) for n in GRANTED)]
    for role in roles:
        assert fns.hasRole(role, registry.admin).call() is True
        assert fns.hasRole(role, registry.outsider).call() is False
    assert fns.hasRole(keccak(text="REGULATOR_ROLE"), registry.admin).call() is False


def test_constructor_rejects_zero_admin(registry: Registry) -> None:
    factory = registry.w3.eth.contract(
        abi=registry.artifact.abi, bytecode=registry.artifact.bytecode
    )
    with pytest.raises(ContractCustomError) as caught:
        factory.constructor(0, "0x" + "00" * 20, registry.admin).estimate_gas(
            {"from": registry.admin}
        )
    assert registry.artifact.decode_revert(str(caught.value.data)) == DecodedRevert(
        "AccessControlInvalidDefaultAdmin", ("0x" + "00" * 20,)
    )


def test_constructor_rejects_zero_operator(registry: Registry) -> None:
    factory = registry.w3.eth.contract(
        abi=registry.artifact.abi, bytecode=registry.artifact.bytecode
    )
    with pytest.raises(ContractCustomError) as caught:
        factory.constructor(0, registry.admin, "0x" + "00" * 20).estimate_gas(
            {"from": registry.admin}
        )
    assert registry.artifact.decode_revert(str(caught.value.data)) == DecodedRevert(
        "TraceRegistryZeroOperator", ()
    )


@pytest.mark.parametrize(
    ("role_name", "call"),
    [
        ("ANCHORER_ROLE", lambda f: f.anchorBatch(ROOT, 3, EMPTY, EMPTY)),
        ("RECORDER_ROLE", lambda f: f.recordLotEvent(LOT, 2, EVENT)),
        ("REGULATOR_ROLE", lambda f: f.recall(LOT, REASON)),
    ],
)
def test_each_write_requires_its_role(registry: Registry, role_name: str, call: object) -> None:
    fn = call(registry.contract.functions)  # type: ignore[operator]
    revert = registry.revert_of(fn, registry.outsider)
    assert revert == DecodedRevert(
        "AccessControlUnauthorizedAccount", (registry.outsider, keccak(text=role_name))
    )


def test_granted_anchorer_can_anchor_and_is_recorded_as_anchorer(registry: Registry) -> None:
    fns = registry.contract.functions
    registry.send(fns.grantRole(keccak(text="ANCHORER_ROLE"), registry.spare), registry.admin)
    registry.send(fns.anchorBatch(ROOT, 3, EMPTY, EMPTY), registry.spare)
    assert fns.anchorOf(ROOT).call()[2] == registry.spare


def test_anchorer_role_alone_does_not_allow_recording(registry: Registry) -> None:
    fns = registry.contract.functions
    registry.send(fns.grantRole(keccak(text="ANCHORER_ROLE"), registry.spare), registry.admin)
    revert = registry.revert_of(fns.recordLotEvent(LOT, 2, EVENT), registry.spare)
    assert revert.name == "AccessControlUnauthorizedAccount"
    assert revert.args == (registry.spare, keccak(text="RECORDER_ROLE"))


def test_revoked_regulator_can_no_longer_recall(regulated: Registry) -> None:
    registry = regulated
    fns = registry.contract.functions
    registry.send(fns.revokeRole(keccak(text="REGULATOR_ROLE"), registry.admin), registry.admin)
    revert = registry.revert_of(fns.recall(LOT, REASON), registry.admin)
    assert revert == DecodedRevert(
        "AccessControlUnauthorizedAccount", (registry.admin, keccak(text="REGULATOR_ROLE"))
    )


def test_outsider_cannot_grant_roles(registry: Registry) -> None:
    fns = registry.contract.functions
    revert = registry.revert_of(
        fns.grantRole(keccak(text="ANCHORER_ROLE"), registry.outsider), registry.outsider
    )
    assert revert == DecodedRevert(
        "AccessControlUnauthorizedAccount", (registry.outsider, DEFAULT_ADMIN_ROLE)
    )


# ---------------------------------------------------------------------- anchors


def test_anchor_batch_stores_packed_anchor_and_emits_batch_anchored(registry: Registry) -> None:
    fns = registry.contract.functions
    receipt = registry.send(fns.anchorBatch(ROOT, 1234, EMPTY, EMPTY), registry.admin)
    timestamp = block_timestamp(registry, receipt["blockNumber"])

    assert fns.anchorOf(ROOT).call() == [timestamp, 1234, registry.admin]
    (log,) = registry.contract.events.BatchAnchored().process_receipt(receipt)
    assert dict(log["args"]) == {"root": ROOT, "headsRoot": EMPTY, "eventCount": 1234}


def test_anchor_is_one_storage_slot(registry: Registry) -> None:
    """timestamp (64) | eventCount (32) | anchorer (160), in the mapping's slot for the root."""
    receipt = registry.send(
        registry.contract.functions.anchorBatch(ROOT, 7, EMPTY, EMPTY), registry.admin
    )
    timestamp = block_timestamp(registry, receipt["blockNumber"])
    # AccessControl's _roles mapping is slot 0, the default admin rules' fields fill slots 1
    # and 2, Pausable's flag is slot 3, Nonces' mapping slot 4, so _anchors is slot 5.
    slot = int.from_bytes(keccak(ROOT + (5).to_bytes(32, "big")), "big")
    word = int.from_bytes(registry.w3.eth.get_storage_at(registry.contract.address, slot), "big")
    expected = timestamp | (7 << 64) | (int(registry.admin, 16) << 96)
    assert word == expected
    next_word = registry.w3.eth.get_storage_at(registry.contract.address, slot + 1)
    assert int.from_bytes(next_word, "big") == 0


def test_anchor_of_unknown_root_is_all_zero(registry: Registry) -> None:
    assert registry.contract.functions.anchorOf(ROOT).call() == [0, 0, "0x" + "0" * 40]


def test_anchor_batch_rejects_zero_root(registry: Registry) -> None:
    fn = registry.contract.functions.anchorBatch(b"\x00" * 32, 3, EMPTY, EMPTY)
    assert registry.revert_of(fn, registry.admin) == DecodedRevert("TraceRegistryZeroRoot", ())


def test_anchor_batch_rejects_zero_count(registry: Registry) -> None:
    fn = registry.contract.functions.anchorBatch(ROOT, 0, EMPTY, EMPTY)
    revert = registry.revert_of(fn, registry.admin)
    assert revert == DecodedRevert("TraceRegistryZeroEventCount", (ROOT,))


def test_anchor_batch_rejects_a_root_already_anchored(registry: Registry) -> None:
    fns = registry.contract.functions
    receipt = registry.send(fns.anchorBatch(ROOT, 3, EMPTY, EMPTY), registry.admin)
    first_timestamp = block_timestamp(registry, receipt["blockNumber"])

    revert = registry.revert_of(fns.anchorBatch(ROOT, 5, EMPTY, EMPTY), registry.admin)

    assert revert == DecodedRevert("TraceRegistryRootAlreadyAnchored", (ROOT, first_timestamp))
    assert fns.anchorOf(ROOT).call()[1] == 3


# ----------------------------------------------------------------------- verify


def _anchored_tree(registry: Registry, size: int) -> tuple[MerkleTree, list[tuple[bytes, bytes]]]:
    pairs = [(keccak(text=f"lot-{i % 3}"), keccak(text=f"event-{i}")) for i in range(size)]
    tree = MerkleTree.build([leaf_hash(lot, event) for lot, event in pairs])
    registry.send(
        registry.contract.functions.anchorBatch(tree.root, size, EMPTY, EMPTY), registry.admin
    )
    return tree, pairs


@pytest.mark.parametrize("size", [1, 2, 5, 16])
def test_verify_accepts_every_leaf_of_an_anchored_batch(registry: Registry, size: int) -> None:
    tree, pairs = _anchored_tree(registry, size)
    for lot, event in pairs:
        proof = tree.proof(leaf_hash(lot, event))
        assert registry.contract.functions.verify(proof, tree.root, lot, event).call() is True


def test_verify_rejects_a_changed_event_hash(registry: Registry) -> None:
    tree, pairs = _anchored_tree(registry, 5)
    lot, event = pairs[2]
    proof = tree.proof(leaf_hash(lot, event))
    assert registry.contract.functions.verify(proof, tree.root, lot, keccak(event)).call() is False


def test_verify_rejects_a_leaf_under_the_wrong_lot(registry: Registry) -> None:
    tree, pairs = _anchored_tree(registry, 5)
    lot, event = pairs[0]
    proof = tree.proof(leaf_hash(lot, event))
    other_lot = keccak(text="another lot")
    assert registry.contract.functions.verify(proof, tree.root, other_lot, event).call() is False


def test_verify_rejects_a_tampered_proof(registry: Registry) -> None:
    tree, pairs = _anchored_tree(registry, 8)
    lot, event = pairs[3]
    proof = tree.proof(leaf_hash(lot, event))
    proof[-1] = keccak(proof[-1])
    assert registry.contract.functions.verify(proof, tree.root, lot, event).call() is False


def test_verify_is_false_for_a_valid_proof_under_an_unanchored_root(registry: Registry) -> None:
    pairs = [(LOT, keccak(text=f"event-{i}")) for i in range(4)]
    tree = MerkleTree.build([leaf_hash(lot, event) for lot, event in pairs])
    proof = tree.proof(leaf_hash(*pairs[0]))
    assert registry.contract.functions.verify(proof, tree.root, *pairs[0]).call() is False


def test_verify_uses_the_double_hashed_standard_leaf(registry: Registry) -> None:
    """A one-leaf batch: root = keccak(keccak(abi.encode(lotKey, eventHash)))."""
    root = keccak(keccak(LOT + EVENT))
    registry.send(registry.contract.functions.anchorBatch(root, 1, EMPTY, EMPTY), registry.admin)
    assert registry.contract.functions.verify([], root, LOT, EVENT).call() is True


# -------------------------------------------------------------------- lot events


def test_record_lot_event_emits_lot_event_recorded(registry: Registry) -> None:
    fns = registry.contract.functions
    receipt = registry.send(fns.recordLotEvent(LOT, 2, EVENT), registry.admin)
    (log,) = registry.contract.events.LotEventRecorded().process_receipt(receipt)
    assert dict(log["args"]) == {
        "lotKey": LOT,
        "kind": 2,
        "eventHash": EVENT,
        "recorder": registry.admin,
    }


def test_lot_events_can_be_listed_by_lot_key(registry: Registry) -> None:
    fns = registry.contract.functions
    other = keccak(text="other lot")
    registry.send(fns.recordLotEvent(LOT, 2, keccak(text="harvest")), registry.admin)
    registry.send(fns.recordLotEvent(other, 2, keccak(text="elsewhere")), registry.admin)
    registry.send(fns.recordLotEvent(LOT, 9, keccak(text="transfer")), registry.admin)

    logs = registry.contract.events.LotEventRecorded().get_logs(
        argument_filters={"lotKey": LOT}, from_block=0
    )
    assert [(log["args"]["kind"], log["args"]["eventHash"]) for log in logs] == [
        (2, keccak(text="harvest")),
        (9, keccak(text="transfer")),
    ]


def test_record_lot_event_rejects_zero_lot_key(registry: Registry) -> None:
    fn = registry.contract.functions.recordLotEvent(b"\x00" * 32, 2, EVENT)
    assert registry.revert_of(fn, registry.admin) == DecodedRevert("TraceRegistryZeroLotKey", ())


def test_record_lot_event_rejects_zero_event_hash(registry: Registry) -> None:
    fn = registry.contract.functions.recordLotEvent(LOT, 2, b"\x00" * 32)
    revert = registry.revert_of(fn, registry.admin)
    assert revert == DecodedRevert("TraceRegistryZeroEventHash", (LOT,))


# ------------------------------------------------------------------------ recall


def test_recall_marks_the_lot_and_emits_lot_recalled(regulated: Registry) -> None:
    registry = regulated
    fns = registry.contract.functions
    assert fns.isRecalled(LOT).call() is False

    receipt = registry.send(fns.recall(LOT, REASON), registry.admin)

    assert fns.isRecalled(LOT).call() is True
    assert fns.isRecalled(keccak(text="untouched lot")).call() is False
    (log,) = registry.contract.events.LotRecalled().process_receipt(receipt)
    assert dict(log["args"]) == {
        "lotKey": LOT,
        "reasonHash": REASON,
        "regulator": registry.admin,
        "timestamp": block_timestamp(registry, receipt["blockNumber"]),
    }


def test_recall_twice_is_rejected(regulated: Registry) -> None:
    registry = regulated
    fns = registry.contract.functions
    registry.send(fns.recall(LOT, REASON), registry.admin)
    revert = registry.revert_of(fns.recall(LOT, keccak(text="second notice")), registry.admin)
    assert revert == DecodedRevert("TraceRegistryLotAlreadyRecalled", (LOT,))


def test_recall_rejects_zero_lot_key(regulated: Registry) -> None:
    registry = regulated
    fn = registry.contract.functions.recall(b"\x00" * 32, REASON)
    assert registry.revert_of(fn, registry.admin) == DecodedRevert("TraceRegistryZeroLotKey", ())


def test_recall_rejects_zero_reason(regulated: Registry) -> None:
    registry = regulated
    fn = registry.contract.functions.recall(LOT, b"\x00" * 32)
    revert = registry.revert_of(fn, registry.admin)
    assert revert == DecodedRevert("TraceRegistryZeroReasonHash", (LOT,))
    assert registry.contract.functions.isRecalled(LOT).call() is False


def test_renouncing_a_role_for_someone_else_is_rejected(registry: Registry) -> None:
    fn = registry.contract.functions.renounceRole(keccak(text="ANCHORER_ROLE"), registry.admin)
    revert = registry.revert_of(fn, registry.outsider)
    assert revert == DecodedRevert("AccessControlBadConfirmation", ())


def test_supports_access_control_interface(registry: Registry) -> None:
    access_control_id = bytes.fromhex("7965db0b")
    assert registry.contract.functions.supportsInterface(access_control_id).call() is True
