"""Choosing the signing key: explicit key, keystore, demo key outside production and off
real networks only; a key never shows in an error."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from eth_account import Account
from pydantic import SecretStr, ValidationError

from backend.chain.errors import ChainConfigError
from backend.chain.signer import refuse_demo_key_off_dev_chain, resolve_signer
from backend.config import DEMO_ANCHOR_PRIVATE_KEY, Environment, Settings

OTHER_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
OTHER_ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
DEMO_ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


def keystore(tmp_path: Path, password: str) -> Path:
    # Two PBKDF2 rounds: the format is real, only the work factor is lowered for speed.
    encrypted = Account.encrypt(OTHER_KEY, password, kdf="pbkdf2", iterations=2)
    path = tmp_path / "anchor.json"
    path.write_text(json.dumps(encrypted), encoding="utf-8")
    return path


def test_explicit_private_key_wins() -> None:
    settings = Settings(anchor_private_key=SecretStr(OTHER_KEY))
    assert resolve_signer(settings).address == OTHER_ADDRESS


def test_invalid_private_key_is_a_config_error_that_does_not_quote_it() -> None:
    secret = "0x" + "zz" * 32
    with pytest.raises(ChainConfigError) as caught:
        resolve_signer(Settings(anchor_private_key=SecretStr(secret)))
    assert secret not in str(caught.value)
    assert caught.value.__cause__ is None


def test_keystore_is_decrypted_with_its_password(tmp_path: Path) -> None:
    settings = Settings(
        anchor_keystore=keystore(tmp_path, "mật khẩu"),
        anchor_keystore_password=SecretStr("mật khẩu"),
    )
    assert resolve_signer(settings).address == OTHER_ADDRESS


def test_keystore_with_wrong_password_is_a_config_error(tmp_path: Path) -> None:
    settings = Settings(
        anchor_keystore=keystore(tmp_path, "right"), anchor_keystore_password=SecretStr("wrong")
    )
    with pytest.raises(ChainConfigError, match="cannot decrypt"):
        resolve_signer(settings)


def test_keystore_without_password_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ChainConfigError, match="PASSWORD"):
        resolve_signer(Settings(anchor_keystore=keystore(tmp_path, "x")))


def test_missing_keystore_file_is_a_config_error(tmp_path: Path) -> None:
    settings = Settings(
        anchor_keystore=tmp_path / "absent.json", anchor_keystore_password=SecretStr("x")
    )
    with pytest.raises(ChainConfigError, match="cannot read keystore"):
        resolve_signer(settings)


def test_demo_key_is_used_with_a_warning_that_omits_the_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="backend.chain.signer"):
        account = resolve_signer(Settings(env=Environment.DEVELOPMENT))
    assert account.address == DEMO_ADDRESS
    assert DEMO_ADDRESS in caplog.text
    assert DEMO_ANCHOR_PRIVATE_KEY[2:] not in caplog.text


def test_production_without_a_key_is_refused() -> None:
    # Settings itself refuses this combination; model_construct shows the signer refuses too.
    settings = Settings.model_construct(env=Environment.PRODUCTION)
    with pytest.raises(ChainConfigError, match="production"):
        resolve_signer(settings)


@pytest.mark.parametrize("chain_id", [31337, 1337])
def test_the_demo_key_may_sign_on_development_chain_ids(chain_id: int) -> None:
    refuse_demo_key_off_dev_chain(DEMO_ADDRESS, chain_id, endpoint="http://n", in_process=False)


@pytest.mark.parametrize("chain_id", [1, 10, 8453, 84532, 2026])
def test_the_demo_key_is_refused_on_any_other_chain_id(chain_id: int) -> None:
    with pytest.raises(ChainConfigError, match=f"refused on chain {chain_id} at http://n"):
        refuse_demo_key_off_dev_chain(DEMO_ADDRESS, chain_id, endpoint="http://n", in_process=False)


def test_the_demo_key_may_sign_in_process_and_other_keys_anywhere() -> None:
    refuse_demo_key_off_dev_chain(DEMO_ADDRESS, 131277322940537, endpoint="m", in_process=True)
    refuse_demo_key_off_dev_chain(OTHER_ADDRESS, 1, endpoint="http://n", in_process=False)


@pytest.mark.parametrize("key", [OTHER_KEY, DEMO_ANCHOR_PRIVATE_KEY])
def test_a_settings_error_never_quotes_the_key(key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Pydantic's message quotes a model's inputs (cut in the middle, the key's tail kept)."""
    monkeypatch.setenv("SENTRACE_ENV", "production")
    monkeypatch.setenv("SENTRACE_ANCHOR_PRIVATE_KEY", key)
    monkeypatch.setenv("SENTRACE_ANCHOR_KEYSTORE_PASSWORD", "mật khẩu bí mật")
    monkeypatch.delenv("SENTRACE_CHAIN_RPC_URL", raising=False)  # refused in production
    with pytest.raises(ValidationError) as refused:
        Settings()
    shown = f"{refused.value}\n{refused.value!r}"
    assert "production" in shown  # the reason is still there
    hex_key = key.removeprefix("0x")
    for start in range(0, len(hex_key) - 8 + 1):
        assert hex_key[start : start + 8] not in shown  # no 8 characters of it in a row
    assert "mật khẩu bí mật" not in shown
