"""Which key signs registry transactions.

Order of preference: an explicit private key, then an encrypted keystore, then (outside
production only) anvil's public development key so that a fresh checkout works at once. The
key itself is never logged; its address is public and is.

The environment name alone does not keep the demo key off a real network (a real RPC URL
without ``SENTRACE_ENV=production`` would sign with it, and its holder would be the registry's
admin), so the chain id the node reports decides too: :func:`refuse_demo_key_off_dev_chain`
runs when a client first reads it, before anything is signed.
"""

from __future__ import annotations

import json
import logging

from eth_account import Account
from eth_account.signers.local import LocalAccount

from backend.chain.errors import ChainConfigError
from backend.config import DEMO_ANCHOR_PRIVATE_KEY, Environment, Settings

logger = logging.getLogger(__name__)

#: anvil's account #0, the demo key's address: public, like the key.
DEMO_ANCHOR_ADDRESS = Account.from_key(DEMO_ANCHOR_PRIVATE_KEY).address
#: Chains the demo key may sign on (besides the in-process one): anvil's and hardhat's 31337,
#: ganache's and ``geth --dev``'s 1337. Nobody else uses these ids for a network of value.
DEMO_KEY_CHAIN_IDS = frozenset({31337, 1337})


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


def refuse_demo_key_off_dev_chain(
    signer: str, chain_id: int, *, endpoint: str, in_process: bool
) -> None:
    """Raise ChainConfigError when ``signer`` is the demo account and the chain is not a local
    development chain (``in_process``: eth-tester, whatever its id), whatever SENTRACE_ENV says.

    Whoever signs with a key the whole world knows can be impersonated by the whole world, so
    on a real network the demo key would hand the registry to anyone.
    """
    if signer != DEMO_ANCHOR_ADDRESS or in_process or chain_id in DEMO_KEY_CHAIN_IDS:
        return
    raise ChainConfigError(
        f"the anchor key is anvil's public development key ({signer}): refused on chain "
        f"{chain_id} at {endpoint}, it signs only on a local development chain (chain id "
        "31337 or 1337); set SENTRACE_ANCHOR_KEYSTORE or SENTRACE_ANCHOR_PRIVATE_KEY to this "
        "network's anchor key"
    )
