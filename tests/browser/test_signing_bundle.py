"""The browser bundle agrees with eth-account, in real Chromium, on what is signed and how.

For the three statement types (Event, SignerChange, Recall) the bundle served by the app
computes the same EIP-712 digest and the same 65-byte signature as eth-account (both use RFC
6979 nonces), and recovers the same address; a high-s copy recovers nothing. Keystore v3 files
made in the browser open with ``eth_account.Account.decrypt`` and files eth-account makes (its
default scrypt, and pbkdf2) open in the browser.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from tests.browser.signing_server import SigningServer, signing_server

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.browser]

PRIVATE_KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
ADDRESS = Account.from_key(PRIVATE_KEY).address
DOMAIN = {"chainId": 31337, "verifyingContract": "0x5FbDB2315678afecb367f032d93F642f64180aa3"}
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
PASSPHRASE = "Xoài cát Chu · mật khẩu"
VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "signatures.json"

DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
TYPES = {
    "Event": [
        {"name": "orgKey", "type": "bytes32"},
        {"name": "lotKey", "type": "bytes32"},
        {"name": "seq", "type": "uint64"},
        {"name": "eventHash", "type": "bytes32"},
    ],
    "SignerChange": [
        {"name": "orgKey", "type": "bytes32"},
        {"name": "signer", "type": "address"},
        {"name": "active", "type": "bool"},
        {"name": "custody", "type": "uint8"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ],
    "Recall": [
        {"name": "lotKey", "type": "bytes32"},
        {"name": "reasonHash", "type": "bytes32"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ],
}
BUILDERS = {
    "Event": "eventTypedData",
    "SignerChange": "signerChangeTypedData",
    "Recall": "recallTypedData",
}


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


def _org_key(slug: str) -> str:
    return _hex(keccak(text=unicodedata.normalize("NFC", slug)))


def _typed(primary: str, message: dict[str, Any]) -> dict[str, Any]:
    return {
        "types": {"EIP712Domain": DOMAIN_TYPE, primary: TYPES[primary]},
        "primaryType": primary,
        "domain": {"name": "SenTrace", "version": "1", **DOMAIN},
        "message": message,
    }


MESSAGES = {
    "Event": {
        "orgKey": _org_key("htx-xoai-my-xuong"),
        "lotKey": _hex(keccak(text="XOAI-B01")),
        "seq": 7,
        "eventHash": _hex(keccak(text="sentrace/event@2 harvest")),
    },
    "SignerChange": {
        "orgKey": _org_key("htx-xoai-my-xuong"),
        "signer": ADDRESS,
        "active": True,
        "custody": 2,
        "nonce": 3,
        "deadline": 1_900_000_000,
    },
    "Recall": {
        "lotKey": _hex(keccak(text="XOAI-B01")),
        "reasonHash": _hex(keccak(text="Dư lượng Carbendazim vượt ngưỡng")),
        "nonce": 0,
        "deadline": 1_900_000_000,
    },
}

SIGN_IN_JS = """([typed, key]) => {
  const S = globalThis.SenTrace;
  const digest = S.typedData.typedDataDigest(typed);
  const signature = S.ecdsa.signDigest(digest, S.hex.fromHex(key));
  return {digest: S.hex.toHex(digest), signature,
          recovered: S.ecdsa.recoverAddress(digest, signature),
          address: S.ecdsa.addressOf(S.hex.fromHex(key))};
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SigningServer]:
    yield from signing_server(tmp_path_factory.mktemp("signing-bundle"))


@pytest.fixture
def bundle(page: Page, server: SigningServer) -> Page:
    """A page of the app (the sign-in page) with the bundle loaded from the app's origin."""
    scripts: list[str] = []
    console: list[str] = []
    page.on(
        "request",
        lambda request: scripts.append(request.url) if request.resource_type == "script" else None,
    )
    page.on("console", lambda message: console.append(message.text))
    page.goto(f"{server.url}/app/login")
    page.wait_for_function("document.documentElement.dataset.signing === 'ready'")
    assert scripts == [f"{server.url}/app/static/build/app.js"]
    assert not [text for text in console if "Content Security Policy" in text]
    return page


@pytest.mark.parametrize("primary", ["Event", "SignerChange", "Recall"])
def test_digest_and_signature_equal_eth_accounts(bundle: Page, primary: str) -> None:
    typed = _typed(primary, MESSAGES[primary])
    signed = Account.sign_message(encode_typed_data(full_message=typed), PRIVATE_KEY)

    got = bundle.evaluate(SIGN_IN_JS, [typed, _hex(PRIVATE_KEY)])

    assert got["digest"] == _hex(signed.message_hash)
    assert got["signature"] == _hex(signed.signature)
    assert len(got["signature"]) == 132 and got["signature"][-2:] in ("1b", "1c")
    assert got["recovered"] == got["address"] == ADDRESS


@pytest.mark.parametrize("primary", ["Event", "SignerChange", "Recall"])
def test_the_bundles_typed_data_is_the_agreed_json(bundle: Page, primary: str) -> None:
    built = bundle.evaluate(
        f"([d, m]) => globalThis.SenTrace.typedData.{BUILDERS[primary]}(d, m)",
        [DOMAIN, MESSAGES[primary]],
    )
    assert json.dumps(built) == json.dumps(_typed(primary, MESSAGES[primary]))


def test_org_key_normalises_the_slug_to_nfc(bundle: Page) -> None:
    decomposed = unicodedata.normalize("NFD", "htx-xoài-mỹ-xương")
    got = bundle.evaluate("(slug) => globalThis.SenTrace.typedData.orgKey(slug)", decomposed)
    assert got == _org_key("htx-xoài-mỹ-xương")


def test_a_high_s_or_malformed_signature_recovers_nothing(bundle: Page) -> None:
    typed = _typed("Event", MESSAGES["Event"])
    signed = Account.sign_message(encode_typed_data(full_message=typed), PRIVATE_KEY)
    high_s = (SECP256K1_N - signed.s).to_bytes(32, "big")
    flipped_v = 55 - signed.v  # 27 <-> 28: the same point with the other s
    malleable = _hex(signed.r.to_bytes(32, "big") + high_s + bytes([flipped_v]))
    got = bundle.evaluate(
        """([digest, sigs]) => sigs.map((sig) => globalThis.SenTrace.ecdsa.recoverAddress(
             globalThis.SenTrace.hex.fromHex(digest), sig))""",
        [_hex(signed.message_hash), [malleable, _hex(signed.signature)[:-2], "0x1234"]],
    )
    assert got == [None, None, None]


def test_the_browser_refuses_typed_data_that_is_not_a_sentrace_statement(bundle: Page) -> None:
    typed = _typed("Event", MESSAGES["Event"])
    typed["domain"]["name"] = "Other"
    error = bundle.evaluate(
        """(typed) => { try { globalThis.SenTrace.typedData.checkStatement(typed); return null; }
                        catch (e) { return e.message; } }""",
        typed,
    )
    assert error and "domain" in error


def test_the_shared_signature_vectors(bundle: Page) -> None:
    """Every statement of tests/vectors/signatures.json signs and recovers the same in the page."""
    vectors = json.loads(VECTORS.read_text(encoding="utf-8"))
    keys = vectors["keys"]
    statements = {case["name"]: case for case in vectors["statements"]}
    assert statements
    for case in statements.values():
        key = keys[case["signed_by"]]["private_key"]
        got = bundle.evaluate(SIGN_IN_JS, [case["typed_data"], key])
        assert got["digest"] == case["digest"].lower(), case["name"]
        assert got["signature"] == case["signature"].lower(), case["name"]
        assert got["recovered"] == case["signer"], case["name"]
    for refused in vectors["refused"]:
        digest = statements[refused["statement"]]["digest"]
        recovered = bundle.evaluate(
            """([digest, signature]) => { const S = globalThis.SenTrace;
                 try { return S.ecdsa.recoverAddress(S.hex.fromHex(digest), signature); }
                 catch (e) { return null; } }""",
            [digest, refused["signature"]],
        )
        assert recovered is None, refused["name"]


def test_a_keystore_made_in_the_browser_opens_with_eth_account(bundle: Page) -> None:
    keystore = bundle.evaluate(
        """async ([key, pass]) => globalThis.SenTrace.keystore.encryptKeystore(
             globalThis.SenTrace.hex.fromHex(key), pass)""",
        [_hex(PRIVATE_KEY), PASSPHRASE],
    )
    assert keystore["version"] == 3
    assert keystore["crypto"]["kdf"] == "scrypt"
    assert keystore["crypto"]["kdfparams"]["n"] >= 2**14
    assert keystore["address"] == ADDRESS[2:].lower()
    assert Account.decrypt(keystore, PASSPHRASE) == PRIVATE_KEY
    with pytest.raises(ValueError):
        Account.decrypt(keystore, PASSPHRASE + "x")


@pytest.mark.parametrize("kdf", ["scrypt", "pbkdf2"])
def test_a_keystore_made_by_eth_account_opens_in_the_browser(bundle: Page, kdf: str) -> None:
    keystore = Account.encrypt(PRIVATE_KEY, PASSPHRASE, kdf=kdf)  # eth-account's own defaults
    opened = bundle.evaluate(
        """async ([file, pass]) => {
             const S = globalThis.SenTrace;
             const key = await S.keystore.decryptKeystore(file, pass);
             let wrong = null;
             try { await S.keystore.decryptKeystore(file, pass + "x"); }
             catch (e) { wrong = e instanceof S.keystore.WrongPassphrase; }
             return {key: S.hex.toHex(key), wrong};
           }""",
        [keystore, PASSPHRASE],
    )
    assert opened == {"key": _hex(PRIVATE_KEY), "wrong": True}
