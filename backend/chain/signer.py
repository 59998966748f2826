"""Which key signs registry transactions.

Order of preference: an explicit private key, then an encrypted keystore, then (outside
production only) anvil's public development key so that a fresh checkout works at once. The
key itself is never logged; its address is public and is.
"""

from __future__ import annotations

import json
import logging

from eth_account import Account
from eth_account.signers.local import LocalAccount

from backend.chain.errors import ChainConfigError
from backend.config import DEMO_ANCHOR_PRIVATE_KEY, Environment, Settings

logger = logging.getLogger(__name__)


def _from_keystore(settings: Settings) -> LocalAccount:
    assert settings.anchor_keystore is not None
    if settings.anchor_keystore_password is None:
        raise ChainConfigError("SENTRACE_ANCHOR_KEYSTORE needs SENTRACE_ANCHOR_KEYSTORE_PASSWORD")
    try:
        keyfile = json.loads(settings.anchor_keystore.read_text(encoding="utf-8"))
        key = Account.decrypt(keyfile, settings.anchor_keystore_password.get_secret_value())
    except OSError as exc:
        raise ChainConfigError(f"cannot read keystore {settings.anchor_keystore}: {exc}") from exc
    except ValueError as exc:
        # eth-account raises ValueError for a wrong password ("MAC mismatch") and bad JSON.
        raise ChainConfigError(f"cannot decrypt keystore {settings.anchor_keystore}") from exc
    return Account.from_key(key)


def resolve_signer(settings: Settings) -> LocalAccount:
    """The account that signs anchors, milestones and recalls for this process."""
    if settings.anchor_private_key is not None:
        try:
            return Account.from_key(settings.anchor_private_key.get_secret_value())
        except (ValueError, TypeError):
            # Never chain the original: its message may quote the key.
            raise ChainConfigError("SENTRACE_ANCHOR_PRIVATE_KEY is not a valid key") from None
    if settings.anchor_keystore is not None:
        return _from_keystore(settings)
    if settings.env is Environment.PRODUCTION:
        raise ChainConfigError("production needs SENTRACE_ANCHOR_PRIVATE_KEY or a keystore")
    account: LocalAccount = Account.from_key(DEMO_ANCHOR_PRIVATE_KEY)
    logger.warning(
        "no anchor key configured: signing with the public anvil development account %s "
        "(fine for a local chain, never for a real network)",
        account.address,
    )
    return account
