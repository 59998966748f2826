"""The demo loader signs like a cooperative's own system: client-held keys, its own signatures.

Each demo organisation gets a key that the loader keeps as a keystore v3 file in the data folder
(``demo-keys/<slug>.json``, never in the database) under a published demo password, and
registers by address only (custody ``client``), as any API client would. A journey is then
played twice in one transaction: once to collect the statements it makes (rolled back), and once
more under the same seed and pinned time with each statement signed by its organisation's key,
so the stored events carry signatures the server could not have made itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlmodel import Session

from backend import entropy
from backend.hashing.eip712 import sign_typed_data
from backend.models import KeyCustody, KeyStatus, Organisation
from backend.services.accounts import org_keys
from backend.services.signing import ChainFacts, Mode, SigningContext, signing
from backend.services.signing.drafts import new_seed

KEYS_DIR = "demo-keys"
#: Published, like the demo's sign-in passwords: the demo is refused in production.
KEYSTORE_PASSWORD = "sentrace-demo"  # noqa: S105 (published demo password)
#: PBKDF2 rounds of the demo keystores (the standard allows it; cheap to open at every start).
KDF_ITERATIONS = 2**14


def keystore_path(data_dir: Path, slug: str) -> Path:
    return data_dir / KEYS_DIR / f"{slug}.json"


def demo_key(data_dir: Path, slug: str) -> LocalAccount:
    """The organisation's demo key, made (and saved as a keystore v3 file) on first use."""
    path = keystore_path(data_dir, slug)
    if path.exists():
        keystore = json.loads(path.read_text(encoding="utf-8"))
        return Account.from_key(Account.decrypt(keystore, KEYSTORE_PASSWORD))
    account: LocalAccount = Account.create()
    keystore = Account.encrypt(
        account.key, KEYSTORE_PASSWORD, kdf="pbkdf2", iterations=KDF_ITERATIONS
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(keystore), encoding="utf-8")
    temporary.replace(path)
    return account


def register_demo_keys(
    session: Session, data_dir: Path, orgs: list[Organisation]
) -> dict[str, LocalAccount]:
    """Each organisation's demo key, registered (client-held) unless it already is."""
    keys: dict[str, LocalAccount] = {}
    for org in orgs:
        account = demo_key(data_dir, org.slug)
        known = org_keys.key_by_address(session, account.address)
        if known is None:
            org_keys.register_key(
                session, org, address=account.address, custody=KeyCustody.CLIENT.value
            )
        elif known.status == KeyStatus.REVOKED.value:
            continue  # someone revoked it: the demo stops signing for this organisation
        keys[org.slug] = account
    return keys


def write_signed(
    session: Session,
    play: Callable[[], None],
    *,
    keys: dict[str, LocalAccount],
    chain: ChainFacts,
) -> None:
    """Run ``play`` (a write) as a client-held client would: collect its statements, roll
    back, sign each with its organisation's key, and run it again applying those signatures."""
    seed, pinned = new_seed(), entropy.real_now()
    collected = SigningContext(Mode.COLLECT, chain)
    with entropy.seeded(seed, pinned), signing(collected):
        play()
    session.rollback()
    if not collected.statements:
        with entropy.seeded(seed, pinned), signing(SigningContext(Mode.COLLECT, chain)):
            play()
        return
    signatures = [
        sign_typed_data(statement["typed_data"], bytes(keys[statement["org"]].key))
        for statement in collected.statements
    ]
    applied = SigningContext(
        Mode.APPLY, chain, expected=collected.statements, signatures=signatures
    )
    with entropy.seeded(seed, pinned), signing(applied):
        play()
