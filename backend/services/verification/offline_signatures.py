"""The offline verifier's signature step for a rules-v2 event (docs/proof-rules.md section 12).

Each v2 entry of a bundle carries the signature stored with its event. The signer is recovered
from it over the EIP-712 ``Event`` statement, the domain being the trusted registry that holds
the event's root (for an event not anchored yet: the registry in use), never an address the
bundle states. That registry is then asked ``signerOf(orgKey, signer)`` and the record judged
by the same rule as the server's (``signatures.standing``) at the anchoring time the registry
recorded (``anchorOf``). A missing signature fails without asking the chain.
"""

from __future__ import annotations

from typing import Any

from backend.hashing.eip712 import SigningDomain
from backend.services.verification.offline_report import EventResult, Outcome
from backend.services.verification.offline_rpc import Registry
from backend.services.verification.signatures import Standing, org_key_of, recover, standing
from backend.services.verification.verdicts import Finding, Verdict


def has_signature(entry: dict[str, Any], event: EventResult) -> bool:
    """Whether the entry carries a signature at all; fails ``event`` when it does not."""
    signature = entry.get("signature")
    if isinstance(signature, str) and signature:
        return True
    event.fail("unsigned")
    return False


def check_signer(
    event: EventResult,
    entry: dict[str, Any],
    registry: Registry,
    *,
    address: str,
    chain_id: int,
    anchored_at: int | None,
) -> bool:
    """Whether the entry's signer signed for its organisation at ``anchored_at`` (None: the
    event is not anchored yet, so its key must be registered and not revoked now) on the
    registry at ``address``; a failure is recorded on ``event``. May raise ChainUnreachable."""
    document = event.document
    if document is None or event.digest is None:
        return False
    domain = SigningDomain(chain_id=chain_id, verifying_contract=address)
    signer = recover(document, "0x" + event.digest.hex(), entry.get("signature"), domain)
    if signer is None:
        event.fail("signature_invalid")
        return False
    since, until, _custody = registry.signer_of(org_key_of(document), signer)
    found = standing(int(since), int(until), at=anchored_at)
    if found is Standing.SIGNS:
        return True
    params = {"org": document.get("org_name"), "signer": signer}
    if found is Standing.UNREGISTERED:
        event.outcome = Outcome.PENDING
        event.findings.append(Finding(Verdict.PENDING, "proof_signer_unregistered", params))
        return False
    event.fail(str(found), **params)
    return False
