"""What the API and the operator app share for signed writes: the chain a runtime signs for.

A statement is signed under the EIP-712 domain of the registry in use, and a recall carries its
regulator key's nonce on that registry, so a write needs the runtime's chain client: the one in
place (even while its node is briefly unreachable, its chain id and address are known), else a
fresh one when the runtime owns its chain and no worker or keeper thread connects it (a write,
inside its database transaction, never waits on a registry deployment's sender lease). A
runtime without any chain (a test world) falls back to the default set with
:func:`backend.services.signing.set_default_chain`; otherwise a write that has something to
sign is refused with 503, to be retried, rather than signed for nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backend.chain.errors import ChainError
from backend.errors import ServiceUnavailable
from backend.hashing.eip712 import SigningDomain
from backend.i18n.messages import message
from backend.runtime import Runtime
from backend.services.signing import ChainFacts, default_chain

NO_CHAIN = message("signing.no_chain")


@dataclass(frozen=True)
class RuntimeChainFacts:
    """:class:`~backend.services.signing.ChainFacts` read from a runtime's chain client."""

    runtime: Runtime

    def domain(self) -> SigningDomain:
        client = self._client()
        if client is None:
            return self._fallback().domain()
        try:
            signing_domain = getattr(client, "signing_domain", None)
            if signing_domain is not None:
                return signing_domain()
            return SigningDomain(client.chain_id, client.contract_address)
        except ChainError as exc:
            raise ServiceUnavailable(NO_CHAIN) from exc

    def nonce_of(self, address: str) -> int:
        client = self._client()
        if client is None:
            return self._fallback().nonce_of(address)
        try:
            return int(client.nonce_of(address))
        except ChainError as exc:
            raise ServiceUnavailable(NO_CHAIN) from exc

    def _client(self) -> Any:
        chain = self.runtime.chain
        if chain is not None and chain.contract_address is not None:
            return chain
        if not self.runtime.owns_chain:
            return None
        if self.runtime.worker is not None or self.runtime.keeper is not None:
            # That thread connects (and may deploy the registry under the sender lease, a
            # database write): a write holding its own transaction must not wait on it.
            raise ServiceUnavailable(NO_CHAIN)
        try:
            return self.runtime.require_chain()
        except ChainError as exc:
            raise ServiceUnavailable(NO_CHAIN) from exc

    @staticmethod
    def _fallback() -> ChainFacts:
        chain = default_chain()
        if chain is None:
            raise ServiceUnavailable(NO_CHAIN)
        return chain


def chain_facts(runtime: Runtime) -> ChainFacts:
    """The chain facts signed writes of ``runtime`` use."""
    return RuntimeChainFacts(runtime)
