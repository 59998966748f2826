"""Organisation signing keys: custodial keys sealed at rest, registration, revocation, queues."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from eth_account import Account
from pydantic import SecretStr
from sqlalchemy import text
from sqlmodel import Session, select

from backend.config import Environment
from backend.errors import Conflict, InvalidInput, NotFound
from backend.models import ChainAction, ChainActionKind, KeyStatus, Organisation, OrgKey, OrgRole
from backend.runtime import Runtime
from backend.services.accounts import key_vault, org_keys
from backend.services.accounts.orgs import create_organisation
from tests.support.app import make_settings


def _org(session: Session, slug: str = "htx", role: OrgRole = OrgRole.COOPERATIVE) -> Organisation:
    org = Organisation(slug=slug, name=slug, role=role)
    session.add(org)
    session.flush()
    return org


def test_a_custodial_key_round_trips_and_its_row_holds_no_private_key(runtime: Runtime) -> None:
    settings = runtime.settings
    with Session(runtime.engine) as session:
        org, _ = create_organisation(
            session,
            slug="htx",
            name="HTX",
            role="cooperative",
            key_custody="custodial",
            settings=settings,
        )
        session.commit()
        account = org_keys.signing_key(session, org, settings)
        (key,) = org_keys.keys_of(session, org)
        assert (key.address, key.custody, key.status) == (account.address, "custodial", "pending")
    with runtime.engine.connect() as connection:
        raw = connection.execute(text("SELECT encrypted_key FROM org_key")).scalar_one()
    stored = bytes(raw)
    assert bytes(account.key) not in stored
    assert account.key.hex() not in stored.hex()
    assert len(stored) == 1 + 12 + 32 + 16


def test_a_sealed_key_opens_only_with_its_secret_and_its_address(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "a", "sqlite://", key_encryption_secret=SecretStr("s" * 40))
    other = make_settings(tmp_path / "b", "sqlite://", key_encryption_secret=SecretStr("t" * 40))
    account = Account.create()
    sealed = key_vault.seal(bytes(account.key), address=account.address, settings=settings)
    assert key_vault.unseal(sealed, address=account.address, settings=settings) == account.key
    with pytest.raises(key_vault.KeyUnsealFailed):
        key_vault.unseal(sealed, address=account.address, settings=other)
    with pytest.raises(key_vault.KeyUnsealFailed):
        key_vault.unseal(sealed, address=Account.create().address, settings=settings)


def test_outside_production_the_secret_is_kept_in_the_data_folder(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", "sqlite://")
    first = key_vault.encryption_key(settings)
    assert first == key_vault.encryption_key(settings)
    secret_file = tmp_path / "data" / "key_encryption_secret"
    assert secret_file.stat().st_mode & 0o777 == 0o600


def test_a_secret_file_replaced_in_place_is_read_again(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", "sqlite://")
    first = key_vault.encryption_key(settings)
    secret_file = tmp_path / "data" / "key_encryption_secret"
    secret_file.write_text("f" * 64, encoding="ascii")  # same length, same inode
    os.utime(secret_file, ns=(1, 1))  # even with an older modification time
    assert key_vault.encryption_key(settings) != first
    assert key_vault.encryption_key(settings) == key_vault._hkdf(b"f" * 64)


def test_production_refuses_custodial_keys_without_the_secret(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", "sqlite://").model_copy(
        update={"env": Environment.PRODUCTION}
    )
    with pytest.raises(key_vault.KeyVaultUnavailable, match="SENTRACE_KEY_ENCRYPTION_SECRET"):
        key_vault.seal(b"\x01" * 32, address=Account.create().address, settings=settings)


def test_registering_and_revoking_queue_signer_changes(runtime: Runtime) -> None:
    address = Account.create().address
    with Session(runtime.engine) as session:
        org = _org(session)
        key = org_keys.register_key(session, org, address=address.lower(), custody="client")
        assert key.address == address and key.status == KeyStatus.PENDING
        assert org_keys.is_usable_signer(session, org, address)
        org_keys.revoke_key(session, org, address=address)
        assert key.status == KeyStatus.REVOKED and key.revoked_at is not None
        assert not org_keys.is_usable_signer(session, org, address)
        assert org_keys.revoke_key(session, org, address=address).status == KeyStatus.REVOKED
        actions = session.exec(select(ChainAction).order_by(ChainAction.id)).all()
    assert [(a.kind, a.signer, a.active, a.custody) for a in actions] == [
        (ChainActionKind.SET_SIGNER, address, True, 1),
        (ChainActionKind.SET_SIGNER, address, False, 1),
    ]
    assert actions[0].org_key == "0x" + org_keys.org_key_of("htx").hex()


def test_a_regulator_key_also_queues_its_role(runtime: Runtime) -> None:
    address = Account.create().address
    with Session(runtime.engine) as session:
        org = _org(session, "ql", OrgRole.REGULATOR)
        org_keys.register_key(session, org, address=address, custody="browser")
        kinds = [a.kind for a in session.exec(select(ChainAction).order_by(ChainAction.id))]
    assert kinds == [ChainActionKind.SET_SIGNER, ChainActionKind.GRANT_REGULATOR]


def test_bad_keys_are_refused_naming_the_field(runtime: Runtime) -> None:
    address = Account.create().address
    with Session(runtime.engine) as session:
        org, other = _org(session), _org(session, "htx2")
        with pytest.raises(InvalidInput) as bad:
            org_keys.register_key(session, org, address="0x1234", custody="client")
        assert bad.value.field == "address"
        wrong_case = address[:2] + address[2:].swapcase()
        if wrong_case[2:] not in (address[2:].lower(), address[2:].upper()):
            with pytest.raises(InvalidInput):
                org_keys.register_key(session, org, address=wrong_case, custody="client")
        with pytest.raises(InvalidInput) as custody:
            org_keys.register_key(session, org, address=address, custody="custodial")
        assert custody.value.field == "custody"
        org_keys.register_key(session, org, address=address, custody="client")
        with pytest.raises(Conflict) as taken:
            org_keys.register_key(session, other, address=address, custody="client")
        assert taken.value.field == "address"
        with pytest.raises(NotFound):
            org_keys.revoke_key(session, other, address=address)
        with pytest.raises(org_keys.NoSigningKey):
            org_keys.signing_key(session, org, runtime.settings)
        assert session.exec(select(OrgKey)).one().status == KeyStatus.PENDING


def test_production_refuses_a_short_secret_and_the_demo_key_as_signer_admin(
    tmp_path: Path,
) -> None:
    from pydantic import ValidationError

    from backend.config import DEMO_ANCHOR_PRIVATE_KEY, Settings

    base = {
        "env": "production",
        "anchor_private_key": "0x" + "ab" * 32,
        "chain_rpc_url": "http://127.0.0.1:8545",
        "session_secret": "s" * 40,
        "data_dir": tmp_path,
    }
    Settings(**base, key_encryption_secret="k" * 40, signer_admin_key="0x" + "cd" * 32)
    with pytest.raises(ValidationError, match="SENTRACE_KEY_ENCRYPTION_SECRET"):
        Settings(**base, key_encryption_secret="short")
    with pytest.raises(ValidationError, match="SENTRACE_SIGNER_ADMIN_KEY"):
        Settings(**base, signer_admin_key=DEMO_ANCHOR_PRIVATE_KEY)
