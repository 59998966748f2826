"""The registry's administration as its admin (or a pauser) performs it: the emergency pause.

The servers sign with the operator key and never pause; pausing is a person's decision, signed
with the admin's key (or that of an account the admin granted ``PAUSER_ROLE``), which lives
away from the servers. While paused, ``anchorBatch``, ``recordLotEvent``, ``recall`` and
``recallWithSignature`` revert with ``EnforcedPause()``: the anchoring worker keeps its events
and batches and tries again later, and every read (proofs, recalls, the heads root) keeps
answering. Signer changes are not paused: a stolen organisation key must be revocable during an
incident.

As the admin (who also holds ``SIGNER_ADMIN_ROLE``) this client can also register and revoke
organisations' signing keys and grant a regulator's key ``REGULATOR_ROLE``
(``registry_signers``: ``set_signer``, ``grant_regulator``). Revoking roles and handing over the
admin role stay with the contract's own functions (OpenZeppelin's ``revokeRole``,
``beginDefaultAdminTransfer``), called from the admin's wallet: docs/deploy.md says how.
"""

from __future__ import annotations

import json
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from backend.chain.client import ChainClient
from backend.chain.errors import ChainConfigError
from backend.chain.types import TxResult


def keystore_account(path: Path, password: str) -> LocalAccount:
    """The account in the encrypted keystore at ``path``; raises ChainConfigError, never
    quoting the key or the password."""
    try:
        keyfile = json.loads(path.read_text(encoding="utf-8"))
        key = Account.decrypt(keyfile, password)
    except OSError as exc:
        raise ChainConfigError(f"cannot read keystore {path}: {exc.strerror}") from None
    except ValueError:
        raise ChainConfigError(f"cannot decrypt keystore {path}") from None
    return Account.from_key(key)


class RegistryAdmin(ChainClient):
    """A client whose signer is the registry's admin or a pauser, attached to the registry."""

    deploys_registry = False  # administration never deploys

    def paused(self) -> bool:
        """Whether the three writes are stopped (OpenZeppelin's ``paused()``)."""
        with self._boundary():
            return bool(self._registry.functions.paused().call())

    def pause(self, *, timeout: float = 120.0) -> TxResult:
        """Send ``pause()`` and wait for it; reverts with ``AccessControlUnauthorizedAccount``
        for a signer without ``PAUSER_ROLE`` and ``EnforcedPause`` when already paused."""
        tx_hash = self._send(self._registry.functions.pause())
        return self.wait_for_receipt(tx_hash, timeout=timeout)

    def unpause(self, *, timeout: float = 120.0) -> TxResult:
        """Send ``unpause()`` and wait for it (``ExpectedPause`` when not paused)."""
        tx_hash = self._send(self._registry.functions.unpause())
        return self.wait_for_receipt(tx_hash, timeout=timeout)
