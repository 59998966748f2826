"""TraceRegistry roles as deployed for a network: an admin apart from the operator.

The admin (OpenZeppelin's default admin rules: one holder, handed over in two steps after a
delay) grants and revokes roles, pauses and administers signers; the operator (the servers'
anchor key) anchors and records and nothing else: a regulator's own key, granted by the admin,
recalls. While paused the three writes revert with ``EnforcedPause()`` and every read keeps
answering.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from eth_typing import ChecksumAddress
from eth_utils import keccak
from web3.contract import Contract
from web3.contract.contract import ContractFunction

from backend.chain.artifacts import registry_artifact
from backend.chain.errors import DecodedRevert
from backend.chain.providers import memory_web3
from backend.hashing.merkle import MerkleTree, leaf_hash
from tests.contracts.conftest import EMPTY, Registry, deploy

DELAY = 3 * 24 * 3600
DEFAULT_ADMIN_ROLE = b"\x00" * 32
OPERATING_ROLES = ("ANCHORER_ROLE", "RECORDER_ROLE")
PAUSER_ROLE = keccak(text="PAUSER_ROLE")
SIGNER_ADMIN_ROLE = keccak(text="SIGNER_ADMIN_ROLE")
REGULATOR_ROLE = keccak(text="REGULATOR_ROLE")
ROOT = keccak(text="root")
LOT = keccak(text="DT-2025-0001")
EVENT = keccak(text="event")
REASON = keccak(text="recall notice 17/2025")

Write = Callable[[object], ContractFunction]
WRITES: list[tuple[str, Write]] = [
    ("anchorBatch", lambda f: f.anchorBatch(ROOT, 3, EMPTY, EMPTY)),  # type: ignore[attr-defined]
    ("recordLotEvent", lambda f: f.recordLotEvent(LOT, 2, EVENT)),  # type: ignore[attr-defined]
    ("recall", lambda f: f.recall(LOT, REASON)),  # type: ignore[attr-defined]
]


@dataclass
class Split:
    """A registry whose admin and operator differ, and the accounts the tests act as."""

    on: Registry  # ``on.admin`` is the admin; ``on.spare`` a would-be successor
    operator: ChecksumAddress

    @property
    def fns(self) -> object:
        return self.on.contract.functions

    def advance(self, seconds: int) -> None:
        """Mine the next block ``seconds`` later (eth-tester's clock)."""
        tester = self.on.w3.provider.ethereum_tester  # type: ignore[attr-defined]
        now = int(self.on.w3.eth.get_block("latest")["timestamp"])
        tester.time_travel(now + seconds)


@pytest.fixture
def split() -> Split:
    w3 = memory_web3()
    deployer, admin, operator, outsider, spare = w3.eth.accounts[:5]
    contract = deploy(w3, DELAY, admin, operator, sender=deployer)
    return Split(Registry(w3, contract, registry_artifact(), admin, outsider, spare), operator)


def _role(name: str) -> bytes:
    return keccak(text=name)


def _paused(split: Split) -> None:
    split.on.send(split.on.contract.functions.pause(), split.on.admin)


# ------------------------------------------------------------------------ roles


def test_admin_and_operator_hold_separate_roles(split: Split) -> None:
    fns = split.on.contract.functions
    assert fns.defaultAdmin().call() == split.on.admin
    assert fns.owner().call() == split.on.admin
    assert fns.defaultAdminDelay().call() == DELAY
    assert fns.PAUSER_ROLE().call() == PAUSER_ROLE
    for name in OPERATING_ROLES:
        assert fns.hasRole(_role(name), split.operator).call() is True
        assert fns.hasRole(_role(name), split.on.admin).call() is False
    for role in (DEFAULT_ADMIN_ROLE, PAUSER_ROLE, SIGNER_ADMIN_ROLE):
        assert fns.hasRole(role, split.on.admin).call() is True
        assert fns.hasRole(role, split.operator).call() is False
    # Nobody is a regulator at deployment: the platform's key above all cannot recall.
    assert fns.hasRole(REGULATOR_ROLE, split.operator).call() is False
    assert fns.hasRole(REGULATOR_ROLE, split.on.admin).call() is False


def test_deployment_logs_every_grant(split: Split) -> None:
    logs = split.on.contract.events.RoleGranted().get_logs(from_block=0)
    granted = {(log["args"]["role"], log["args"]["account"]) for log in logs}
    assert granted == {
        (DEFAULT_ADMIN_ROLE, split.on.admin),
        (PAUSER_ROLE, split.on.admin),
        (SIGNER_ADMIN_ROLE, split.on.admin),
        *((_role(name), split.operator) for name in OPERATING_ROLES),
    }


def _writer(split: Split, name: str) -> ChecksumAddress:
    """Who may send ``name``: the operator, or for a recall a regulator the admin granted."""
    if name != "recall":
        return split.operator
    regulator = split.on.spare
    split.on.send(split.on.contract.functions.grantRole(REGULATOR_ROLE, regulator), split.on.admin)
    return regulator


@pytest.mark.parametrize(("name", "write"), WRITES, ids=[name for name, _ in WRITES])
def test_only_the_role_holder_writes(split: Split, name: str, write: Write) -> None:
    role = {"anchorBatch": "ANCHORER_ROLE", "recordLotEvent": "RECORDER_ROLE"}.get(
        name, "REGULATOR_ROLE"
    )
    writer = _writer(split, name)
    others = [split.on.admin] + ([split.operator] if writer != split.operator else [])
    for other in others:
        revert = split.on.revert_of(write(split.fns), other)
        assert revert == DecodedRevert("AccessControlUnauthorizedAccount", (other, _role(role)))
    split.on.send(write(split.fns), writer)


def test_the_operator_cannot_grant_roles_nor_pause(split: Split) -> None:
    fns = split.on.contract.functions
    grant = fns.grantRole(_role("ANCHORER_ROLE"), split.on.outsider)
    assert split.on.revert_of(grant, split.operator) == DecodedRevert(
        "AccessControlUnauthorizedAccount", (split.operator, DEFAULT_ADMIN_ROLE)
    )
    assert split.on.revert_of(fns.pause(), split.operator) == DecodedRevert(
        "AccessControlUnauthorizedAccount", (split.operator, PAUSER_ROLE)
    )


def test_the_admin_replaces_the_operator(split: Split) -> None:
    """A leaked anchor key: the admin revokes its roles and grants them to a new key."""
    fns = split.on.contract.functions
    for name in OPERATING_ROLES:
        split.on.send(fns.revokeRole(_role(name), split.operator), split.on.admin)
        split.on.send(fns.grantRole(_role(name), split.on.spare), split.on.admin)
    revert = split.on.revert_of(fns.anchorBatch(ROOT, 3, EMPTY, EMPTY), split.operator)
    assert revert.name == "AccessControlUnauthorizedAccount"
    split.on.send(fns.anchorBatch(ROOT, 3, EMPTY, EMPTY), split.on.spare)
    assert fns.anchorOf(ROOT).call()[2] == split.on.spare


def test_the_admin_role_is_never_granted_directly(split: Split) -> None:
    grant = split.on.contract.functions.grantRole(DEFAULT_ADMIN_ROLE, split.on.spare)
    revert = split.on.revert_of(grant, split.on.admin)
    assert revert == DecodedRevert("AccessControlEnforcedDefaultAdminRules", ())


def test_an_admin_transfer_waits_the_delay(split: Split) -> None:
    fns = split.on.contract.functions
    receipt = split.on.send(fns.beginDefaultAdminTransfer(split.on.spare), split.on.admin)
    begun = int(split.on.w3.eth.get_block(receipt["blockNumber"])["timestamp"])
    (scheduled,) = split.on.contract.events.DefaultAdminTransferScheduled().process_receipt(receipt)
    assert dict(scheduled["args"]) == {"newAdmin": split.on.spare, "acceptSchedule": begun + DELAY}
    assert fns.pendingDefaultAdmin().call() == [split.on.spare, begun + DELAY]

    early = split.on.revert_of(fns.acceptDefaultAdminTransfer(), split.on.spare)
    assert early == DecodedRevert("AccessControlEnforcedDefaultAdminDelay", (begun + DELAY,))
    assert fns.defaultAdmin().call() == split.on.admin

    split.advance(DELAY + 1)
    wrong = split.on.revert_of(fns.acceptDefaultAdminTransfer(), split.on.outsider)
    assert wrong == DecodedRevert("AccessControlInvalidDefaultAdmin", (split.on.outsider,))
    split.on.send(fns.acceptDefaultAdminTransfer(), split.on.spare)
    assert fns.defaultAdmin().call() == split.on.spare
    assert fns.hasRole(DEFAULT_ADMIN_ROLE, split.on.admin).call() is False
    # The pauser role is an ordinary role: it stays where it was until the new admin moves it.
    assert fns.hasRole(PAUSER_ROLE, split.on.admin).call() is True


def test_a_begun_transfer_can_be_cancelled(split: Split) -> None:
    fns = split.on.contract.functions
    split.on.send(fns.beginDefaultAdminTransfer(split.on.spare), split.on.admin)
    receipt = split.on.send(fns.cancelDefaultAdminTransfer(), split.on.admin)
    assert len(split.on.contract.events.DefaultAdminTransferCanceled().process_receipt(receipt))
    split.advance(DELAY + 1)
    revert = split.on.revert_of(fns.acceptDefaultAdminTransfer(), split.on.spare)
    assert revert == DecodedRevert("AccessControlInvalidDefaultAdmin", (split.on.spare,))
    assert fns.defaultAdmin().call() == split.on.admin


# ------------------------------------------------------------------------ pause


def test_pause_and_unpause_emit_their_events(split: Split) -> None:
    fns = split.on.contract.functions
    assert fns.paused().call() is False
    receipt = split.on.send(fns.pause(), split.on.admin)
    (paused,) = split.on.contract.events.Paused().process_receipt(receipt)
    assert dict(paused["args"]) == {"account": split.on.admin}
    assert fns.paused().call() is True
    assert split.on.revert_of(fns.pause(), split.on.admin) == DecodedRevert("EnforcedPause", ())

    receipt = split.on.send(fns.unpause(), split.on.admin)
    (unpaused,) = split.on.contract.events.Unpaused().process_receipt(receipt)
    assert dict(unpaused["args"]) == {"account": split.on.admin}
    assert fns.paused().call() is False
    assert split.on.revert_of(fns.unpause(), split.on.admin) == DecodedRevert("ExpectedPause", ())


@pytest.mark.parametrize(("name", "write"), WRITES, ids=[name for name, _ in WRITES])
def test_pause_blocks_each_write_until_unpaused(split: Split, name: str, write: Write) -> None:
    writer = _writer(split, name)
    _paused(split)
    assert split.on.revert_of(write(split.fns), writer) == DecodedRevert("EnforcedPause", ())
    split.on.send(split.on.contract.functions.unpause(), split.on.admin)
    split.on.send(write(split.fns), writer)


def test_a_granted_pauser_pauses_and_a_revoked_one_cannot(split: Split) -> None:
    fns = split.on.contract.functions
    split.on.send(fns.grantRole(PAUSER_ROLE, split.on.spare), split.on.admin)
    split.on.send(fns.pause(), split.on.spare)
    split.on.send(fns.revokeRole(PAUSER_ROLE, split.on.spare), split.on.admin)
    revert = split.on.revert_of(fns.unpause(), split.on.spare)
    assert revert == DecodedRevert(
        "AccessControlUnauthorizedAccount", (split.on.spare, PAUSER_ROLE)
    )
    split.on.send(fns.unpause(), split.on.admin)


def test_reads_keep_working_while_paused(split: Split) -> None:
    fns = split.on.contract.functions
    pairs = [(LOT, keccak(text=f"event-{i}")) for i in range(4)]
    tree = MerkleTree.build([leaf_hash(lot, event) for lot, event in pairs])
    anchored = split.on.send(fns.anchorBatch(tree.root, 4, EMPTY, EMPTY), split.operator)
    split.on.send(fns.recordLotEvent(LOT, 2, EVENT), split.operator)
    split.on.send(fns.recall(LOT, REASON), _writer(split, "recall"))
    _paused(split)

    when = int(split.on.w3.eth.get_block(anchored["blockNumber"])["timestamp"])
    assert fns.anchorOf(tree.root).call() == [when, 4, split.operator]
    proof = tree.proof(leaf_hash(*pairs[1]))
    assert fns.verify(proof, tree.root, *pairs[1]).call() is True
    assert fns.headsRoot().call() == EMPTY
    assert fns.verifyNoHead(LOT, 0, []).call() is True
    assert fns.isRecalled(LOT).call() is True
    logs = split.on.contract.events.LotEventRecorded().get_logs(
        argument_filters={"lotKey": LOT}, from_block=0
    )
    assert [log["args"]["eventHash"] for log in logs] == [EVENT]


def test_the_contract_is_reachable_as_the_interface_names_it(split: Split) -> None:
    contract: Contract = split.on.contract
    interface_ids = {"IAccessControl": "7965db0b", "IAccessControlDefaultAdminRules": "31498786"}
    for name, hex_id in interface_ids.items():
        assert contract.functions.supportsInterface(bytes.fromhex(hex_id)).call() is True, name
