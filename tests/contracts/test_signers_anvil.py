"""Signed statements on a real anvil: organisations' keys, relayed signer changes and recalls.

The registry is deployed as for a network: the platform's key (anvil's first account, the
anchor key) is the operator, a separate admin holds the admin, pauser and signer admin roles,
and a regulator's own key is granted ``REGULATOR_ROLE``. Statements are signed in Python
(``backend.hashing.eip712``, eth-account) and relayed by the platform through the chain
client (``backend.chain.registry_signers``), so the test covers the typed data, the client and
the contract together. Every key here is a test key derived from a label, never a real one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError

from backend.chain.anvil import ManagedAnvil
from backend.chain.client import ChainClient
from backend.chain.errors import ChainReverted, DecodedRevert
from backend.chain.providers import http_web3
from backend.chain.registry_admin import RegistryAdmin
from backend.chain.registry_signers import REGULATOR_ROLE, SIGNER_ADMIN_ROLE
from backend.config import DEMO_ANCHOR_PRIVATE_KEY
from backend.hashing import lot_key
from backend.hashing.eip712 import (
    event_typed_data,
    org_key,
    recall_typed_data,
    recover_signer,
    sign_typed_data,
    signer_change_typed_data,
    typed_data_digest,
)
from tests.support.anvil import demo_client
from tests.support.components import REPO_ROOT

pytestmark = pytest.mark.anvil

ORG = org_key("htx-xoai-my-xuong")
OTHER_ORG = org_key("htx-thanh-long-binh-thuan")
LOT = lot_key("DT-2025-0001")
REASON = keccak(text="Quyết định thu hồi 17/2025")
HOUR = 3600


def fixed_key(label: str) -> LocalAccount:
    """A test-only key derived from ``label`` (sha256): never fund or use it anywhere else."""
    return Account.from_key(hashlib.sha256(f"sentrace test key: {label}".encode()).digest())


@dataclass
class Chain:
    """The platform's client (operator), the admin's client, the keys, and the registry."""

    platform: ChainClient
    platform_key: LocalAccount
    admin: RegistryAdmin
    admin_key: LocalAccount
    regulator: LocalAccount

    @property
    def registry(self) -> Contract:
        address = self.platform.contract_address
        return self.platform.w3.eth.contract(address=address, abi=self.platform.artifact.abi)

    def call_revert(self, fn: ContractFunction, sender: str) -> DecodedRevert:
        """The decoded revert of ``fn`` called (not sent) as ``sender``: no key needed."""
        with pytest.raises(ContractCustomError) as caught:
            fn.call({"from": sender})
        decoded = self.platform.artifact.decode_revert(str(caught.value.data))
        assert decoded is not None
        return decoded

    def rpc(self, method: str, *params: object) -> None:
        self.platform.w3.provider.make_request(method, list(params))  # type: ignore[arg-type]

    def later(self, seconds: int) -> None:
        """Move the chain's clock on and mine a block there."""
        self.rpc("evm_increaseTime", seconds)
        self.rpc("evm_mine")

    def now(self) -> int:
        return int(self.platform.w3.eth.get_block("latest")["timestamp"])

    def anchor(self, label: str) -> tuple[bytes, int]:
        """Anchor a bare root; returns it and its anchoring time."""
        root = keccak(text=label)
        self.platform.anchor_batch(root, 1)
        info = self.platform.anchor_of(root)
        assert info is not None
        return root, info.timestamp

    def signer_change(
        self, signer: str, *, active: bool, by: LocalAccount | None = None, **overrides: int
    ) -> dict[str, object]:
        """A SignerChange for ORG signed by ``by`` (the admin), with its arguments."""
        key = by or self.admin_key
        args: dict[str, object] = {
            "org_key": ORG,
            "signer": signer,
            "active": active,
            "custody": 2,
            "nonce": self.platform.nonce_of(key.address),
            "deadline": self.now() + HOUR,
        }
        args.update(overrides)
        typed = signer_change_typed_data(self.platform.signing_domain(), **args)  # type: ignore[arg-type]
        return {**args, "signature": sign_typed_data(typed, key.key)}

    def relay_signer_change(self, statement: dict[str, object]) -> None:
        args = dict(statement)
        key, signer = args.pop("org_key"), args.pop("signer")
        self.platform.set_signer_with_signature(key, signer, **args)  # type: ignore[arg-type]

    def recall_statement(self, by: LocalAccount, lot: bytes = LOT, **overrides: int) -> dict:
        args: dict[str, object] = {
            "lot_key": lot,
            "reason_hash": REASON,
            "nonce": self.platform.nonce_of(by.address),
            "deadline": self.now() + HOUR,
        }
        args.update(overrides)
        typed = recall_typed_data(self.platform.signing_domain(), **args)  # type: ignore[arg-type]
        return {**args, "signature": sign_typed_data(typed, by.key)}

    def relay_recall(self, statement: dict[str, object]) -> None:
        args = dict(statement)
        lot, reason = args.pop("lot_key"), args.pop("reason_hash")
        self.platform.recall_with_signature(lot, reason, **args)  # type: ignore[arg-type]

    def event_signature(self, key: LocalAccount, seq: int = 1, org: bytes = ORG) -> str:
        typed = event_typed_data(
            self.platform.signing_domain(),
            org_key=org,
            lot_key=LOT,
            seq=seq,
            event_hash=keccak(text=f"event {seq}"),
        )
        return sign_typed_data(typed, key.key)

    def verifies(self, root: bytes, signature: str, seq: int = 1, org: bytes = ORG) -> bool:
        return self.platform.verify_event_signature(
            root, org, LOT, seq, keccak(text=f"event {seq}"), signature
        )


@pytest.fixture
def chain(anvil_node: ManagedAnvil) -> Chain:
    platform = demo_client(anvil_node)
    admin_key = fixed_key("registry admin")
    w3 = platform.w3
    funder = w3.eth.accounts[1]  # anvil's prefunded, unlocked second account
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": funder, "to": admin_key.address, "value": 10**18})
    )
    platform.deploy_admin = admin_key.address
    address = platform.deploy_registry()
    admin = RegistryAdmin(http_web3(anvil_node.url), admin_key, endpoint=anvil_node.url)
    admin.attach(address)
    regulator = fixed_key("regulator")
    admin.grant_regulator(regulator.address)
    platform_key = Account.from_key(DEMO_ANCHOR_PRIVATE_KEY)
    return Chain(platform, platform_key, admin, admin_key, regulator)


def _reverts(error: str, call: object, *args: object, **kwargs: object) -> ChainReverted:
    with pytest.raises(ChainReverted) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    assert caught.value.error_name == error, caught.value
    return caught.value


# ------------------------------------------------------------------- typed data agreement


@pytest.mark.parametrize(
    ("slug", "lot", "seq"),
    [
        ("htx-xoai-my-xuong", "DT-2025-0001", 1),
        ("Hợp tác xã Thanh Long", "LÔ-Bình-Thuận-7", 0),
        ("coop", "L", 2**64 - 1),
        ("vinh-long-rice", "ST25-2025-12-05-000123", 123_456_789),
    ],
)
def test_python_and_the_contract_agree_on_the_event_digest_and_signer(
    chain: Chain, slug: str, lot: str, seq: int
) -> None:
    key = fixed_key(f"org {slug}")
    event_hash = keccak(text=f"{slug}/{lot}/{seq}")
    typed = event_typed_data(
        chain.platform.signing_domain(),
        org_key=org_key(slug),
        lot_key=lot_key(lot),
        seq=seq,
        event_hash=event_hash,
    )
    on_chain = chain.platform.event_digest(org_key(slug), lot_key(lot), seq, event_hash)
    assert typed_data_digest(typed) == on_chain

    signature = sign_typed_data(typed, key.key)
    assert recover_signer(typed, signature) == key.address
    recovered = chain.platform.recover_event_signer(
        org_key(slug), lot_key(lot), seq, event_hash, signature
    )
    assert recovered == key.address


def test_the_domain_is_the_registry_s_own(chain: Chain) -> None:
    registry = chain.platform.w3.eth.contract(
        address=chain.platform.contract_address, abi=chain.platform.artifact.abi
    )
    fields, name, version, chain_id, contract, salt, extensions = (
        registry.functions.eip712Domain().call()
    )
    domain = chain.platform.signing_domain()
    assert (fields, name, version, salt, extensions) == (b"\x0f", "SenTrace", "1", bytes(32), [])
    assert (chain_id, contract) == (domain.chain_id, domain.verifying_contract)


def test_malformed_and_high_s_signatures_recover_to_nobody(chain: Chain) -> None:
    key = fixed_key("org")
    signature = chain.event_signature(key)
    raw = bytes.fromhex(signature[2:])
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    high_s = (n - int.from_bytes(raw[32:64], "big")).to_bytes(32, "big")
    flipped = "0x" + (raw[:32] + high_s + bytes([55 - raw[64]])).hex()
    for bad in (flipped, signature[:-2], "0x" + "00" * 65):
        assert chain.platform.recover_event_signer(ORG, LOT, 1, keccak(text="event 1"), bad) is None


# ---------------------------------------------------------------------------- signers


def test_only_the_signer_admin_sets_signers(chain: Chain) -> None:
    key = fixed_key("org key")
    error = _reverts(
        "AccessControlUnauthorizedAccount", chain.platform.set_signer, ORG, key.address, active=True
    )
    assert error.error_args == (chain.platform.signer, SIGNER_ADMIN_ROLE)
    fns = chain.registry.functions
    for outsider in (chain.regulator.address, key.address):
        for fn in (
            fns.setSigner(ORG, key.address, True),
            fns.setSignerWithCustody(ORG, key.address, True, 2),
        ):
            revert = chain.call_revert(fn, outsider)
            assert revert == DecodedRevert(
                "AccessControlUnauthorizedAccount", (outsider, SIGNER_ADMIN_ROLE)
            )

    result = chain.admin.set_signer(ORG, key.address, active=True, custody=3)
    record = chain.platform.signer_of(ORG, key.address)
    block = chain.platform.w3.eth.get_block(result.block_number)
    assert (record.since, record.until, record.custody) == (block["timestamp"], 0, 3)
    (log,) = chain.registry.events.SignerSet().get_logs(from_block=result.block_number)
    assert dict(log["args"]) == {
        "orgKey": ORG,
        "signer": key.address,
        "active": True,
        "custody": 3,
        "at": block["timestamp"],
    }
    assert chain.platform.signer_of(OTHER_ORG, key.address).registered is False


def test_a_signed_signer_change_is_relayed_once(chain: Chain) -> None:
    key = fixed_key("org key")
    admin = chain.admin.signer
    statement = chain.signer_change(key.address, active=True)
    chain.relay_signer_change(statement)
    assert chain.platform.signer_of(ORG, key.address).active is True
    assert chain.platform.signer_of(ORG, key.address).custody == 2
    assert chain.platform.nonce_of(admin) == 1

    # The same statement again: its nonce is used.
    error = _reverts("InvalidAccountNonce", chain.relay_signer_change, statement)
    assert error.error_args == (admin, 1)


def test_an_expired_signer_change_is_refused(chain: Chain) -> None:
    key = fixed_key("org key")
    statement = chain.signer_change(key.address, active=True, deadline=chain.now() - 1)
    _reverts("TraceRegistryExpiredSignature", chain.relay_signer_change, statement)
    assert chain.platform.signer_of(ORG, key.address).registered is False


def test_a_signer_change_signed_by_anyone_but_a_signer_admin_is_refused(chain: Chain) -> None:
    key = fixed_key("org key")
    for signer in (chain.platform_key, chain.regulator, key):
        statement = chain.signer_change(key.address, active=True, by=signer)
        error = _reverts("TraceRegistryUnauthorizedSigner", chain.relay_signer_change, statement)
        assert error.error_args == (signer.address, SIGNER_ADMIN_ROLE)
    # A relayer altering what the admin signed makes it the statement of nobody authorised.
    statement = chain.signer_change(key.address, active=True)
    statement["custody"] = 3
    _reverts("TraceRegistryUnauthorizedSigner", chain.relay_signer_change, statement)
    assert chain.platform.signer_of(ORG, key.address).registered is False


def test_signer_changes_are_checked(chain: Chain) -> None:
    key = fixed_key("org key")
    admin = chain.admin
    _reverts("TraceRegistryZeroOrgKey", admin.set_signer, bytes(32), key.address, active=True)
    _reverts("TraceRegistryZeroSigner", admin.set_signer, ORG, "0x" + "00" * 20, active=True)
    _reverts("TraceRegistrySignerNotActive", admin.set_signer, ORG, key.address, active=False)
    fns = chain.registry.functions
    for custody in (0, 4, 255):
        fn = fns.setSignerWithCustody(ORG, key.address, True, custody)
        revert = chain.call_revert(fn, admin.signer)
        assert revert == DecodedRevert("TraceRegistryInvalidCustody", (custody,))
        with pytest.raises(ValueError, match="custody"):  # Python refuses before sending
            chain.signer_change(key.address, active=True, custody=custody)
    admin.set_signer(ORG, key.address, active=True)
    _reverts("TraceRegistrySignerAlreadyActive", admin.set_signer, ORG, key.address, active=True)


def test_a_revoked_key_never_returns(chain: Chain) -> None:
    key = fixed_key("org key")
    chain.admin.set_signer(ORG, key.address, active=True, custody=2)
    chain.later(10)
    chain.admin.set_signer(ORG, key.address, active=False, custody=1)
    record = chain.platform.signer_of(ORG, key.address)
    assert record.until >= record.since + 10 and record.custody == 2  # activation's custody
    error = _reverts(
        "TraceRegistrySignerRevoked", chain.admin.set_signer, ORG, key.address, active=True
    )
    assert error.error_args == (ORG, key.address, record.until)
    statement = chain.signer_change(key.address, active=True)
    _reverts("TraceRegistrySignerRevoked", chain.relay_signer_change, statement)
    _reverts("TraceRegistrySignerNotActive", chain.admin.set_signer, ORG, key.address, active=False)


def test_a_pause_does_not_stop_a_revocation(chain: Chain) -> None:
    key = fixed_key("stolen org key")
    chain.admin.set_signer(ORG, key.address, active=True)
    chain.admin.pause()  # the admin is also the pauser

    chain.relay_signer_change(chain.signer_change(key.address, active=False))
    assert chain.platform.signer_of(ORG, key.address).active is False
    _reverts("EnforcedPause", chain.relay_recall, chain.recall_statement(chain.regulator))


# ---------------------------------------------------------------------------- recalls


def test_a_regulator_s_signed_recall_is_relayed_by_the_platform_once(chain: Chain) -> None:
    statement = chain.recall_statement(chain.regulator)
    chain.relay_recall(statement)
    assert chain.platform.is_recalled(LOT) is True
    (log,) = chain.registry.events.LotRecalled().get_logs(from_block=0)
    assert log["args"]["regulator"] == chain.regulator.address
    assert log["args"]["reasonHash"] == REASON

    # Replayed, even for another lot with the same nonce: refused.
    error = _reverts("InvalidAccountNonce", chain.relay_recall, statement)
    assert error.error_args == (chain.regulator.address, 1)
    other = dict(chain.recall_statement(chain.regulator, nonce=0), lot_key=lot_key("DT-2"))
    _reverts("TraceRegistryUnauthorizedSigner", chain.relay_recall, other)
    replay = chain.recall_statement(chain.regulator, lot=lot_key("DT-2"), nonce=0)
    _reverts("InvalidAccountNonce", chain.relay_recall, replay)
    assert chain.platform.is_recalled(lot_key("DT-2")) is False


def test_an_expired_recall_is_refused(chain: Chain) -> None:
    statement = chain.recall_statement(chain.regulator, deadline=chain.now() - 1)
    _reverts("TraceRegistryExpiredSignature", chain.relay_recall, statement)
    assert chain.platform.is_recalled(LOT) is False


def test_the_platform_key_alone_cannot_recall(chain: Chain) -> None:
    platform = chain.platform
    assert platform.has_role(REGULATOR_ROLE, platform.signer) is False
    error = _reverts("AccessControlUnauthorizedAccount", platform.recall, LOT, REASON)
    assert error.error_args == (platform.signer, REGULATOR_ROLE)

    own = chain.recall_statement(chain.platform_key)  # the platform signs a recall itself
    error = _reverts("TraceRegistryUnauthorizedSigner", chain.relay_recall, own)
    assert error.error_args == (platform.signer, REGULATOR_ROLE)
    # Nor can it make itself a regulator: granting roles is the admin's.
    _reverts("AccessControlUnauthorizedAccount", platform.grant_regulator, platform.signer)
    assert platform.is_recalled(LOT) is False


# --------------------------------------------------------------------------- rotation


def test_rotation_keeps_earlier_events_and_a_revoked_key_signs_nothing_after(chain: Chain) -> None:
    old, new = fixed_key("org key 2025"), fixed_key("org key 2026")
    chain.admin.set_signer(ORG, old.address, active=True, custody=2)
    chain.later(5)
    before, anchored_before = chain.anchor("batch before the rotation")
    chain.later(5)
    chain.admin.set_signer(ORG, new.address, active=True, custody=2)
    chain.admin.set_signer(ORG, old.address, active=False)
    chain.later(5)
    after, anchored_after = chain.anchor("batch after the rotation")

    old_sig, new_sig = chain.event_signature(old), chain.event_signature(new)
    assert chain.verifies(before, old_sig) is True
    assert chain.verifies(after, old_sig) is False  # revoked before anchoring
    assert chain.verifies(after, new_sig) is True
    assert chain.verifies(before, new_sig) is False  # registered only after anchoring
    assert chain.verifies(keccak(text="never anchored"), new_sig) is False

    record = chain.platform.signer_of(ORG, old.address)
    assert chain.platform.is_signer_at(ORG, old.address, anchored_before) is True
    assert chain.platform.is_signer_at(ORG, old.address, record.until - 1) is True
    assert chain.platform.is_signer_at(ORG, old.address, record.until) is False  # fail closed
    assert chain.platform.is_signer_at(ORG, old.address, anchored_after) is False
    assert record.signs_at(anchored_before) and not record.signs_at(record.until)


def test_a_revocation_in_the_anchor_s_block_wins(chain: Chain) -> None:
    key = fixed_key("org key")
    chain.admin.set_signer(ORG, key.address, active=True)
    chain.later(5)
    chain.rpc("evm_setAutomine", False)
    revoke = chain.admin.sign_call(
        chain.admin.set_signer_call(ORG, key.address, active=False),
        nonce=chain.admin.account_nonce("pending"),
        fees=chain.admin.market_fees(),
    )
    chain.admin.broadcast(revoke.raw)
    chain.platform.send_anchor_batch(keccak(text="same block"), 1)
    chain.rpc("evm_mine")
    chain.rpc("evm_setAutomine", True)
    root = keccak(text="same block")
    info = chain.platform.anchor_of(root)
    assert info is not None and info.timestamp == chain.platform.signer_of(ORG, key.address).until
    assert chain.verifies(root, chain.event_signature(key)) is False


def test_another_organisation_s_key_does_not_sign_for_this_one(chain: Chain) -> None:
    ours, theirs = fixed_key("our key"), fixed_key("their key")
    chain.admin.set_signer(ORG, ours.address, active=True)
    chain.admin.set_signer(OTHER_ORG, theirs.address, active=True)
    chain.later(5)
    root, _ = chain.anchor("batch")
    assert chain.verifies(root, chain.event_signature(ours)) is True
    assert chain.verifies(root, chain.event_signature(theirs)) is False
    assert chain.verifies(root, chain.event_signature(theirs, org=OTHER_ORG), org=OTHER_ORG)
    never = fixed_key("never registered")
    assert chain.verifies(root, chain.event_signature(never)) is False


def test_the_signature_vectors_hold_on_the_registry_they_name(chain: Chain) -> None:
    """signatures.json is signed for anvil's first deployment: this fixture's registry."""
    vectors = json.loads((REPO_ROOT / "tests/vectors/signatures.json").read_text("utf-8"))
    assert chain.platform.contract_address == vectors["domain"]["verifyingContract"]
    for statement in vectors["statements"]:
        if statement["kind"] != "event":
            continue
        message = statement["typed_data"]["message"]
        fields = [
            bytes.fromhex(message["orgKey"][2:]),
            bytes.fromhex(message["lotKey"][2:]),
            message["seq"],
            bytes.fromhex(message["eventHash"][2:]),
        ]
        assert "0x" + chain.platform.event_digest(*fields).hex() == statement["digest"]
        signer = chain.platform.recover_event_signer(*fields, statement["signature"])
        assert signer == statement["signer"]
