"""The offline verifier's signature step for a rules-v2 event (docs/proof-rules.md section 12).

Each v2 entry of a bundle carries the signature stored with its event. The signer is recovered
from it over the EIP-712 ``Event`` statement, the domain being the trusted registry that holds
the event's root (for an event not anchored yet: the registry in use), never an address the
bundle states, or else one of the registries the trusted one replaced (its record's ``retired``
and ``replaces``: an event signed before an upgrade, or before a development chain's registry
vanished, is anchored again on the successor). The registry holding the root is then asked
``signerOf(orgKey, signer)`` for each recovery, and the record judged
by the same rule as the server's (``signatures.standing``) at the anchoring time the registry
recorded (``anchorOf``). A missing signature fails without asking the chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from backend.services.verification.offline_report import EventResult, Outcome
from backend.services.verification.offline_rpc import Registry
from backend.services.verification.signatures import (
    Standing,
    judge,
    org_key_of,
    signing_domains,
)
from backend.services.verification.signer_reads import SignerRecord
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
    replaced: Sequence[str] = (),
) -> bool:
    """Whether the entry's signer signed for its organisation at ``anchored_at`` (None: the
    event is not anchored yet, so its key must be registered and not revoked now) on the
    registry at ``address``, the signature naming that registry or one of the ``replaced``
    ones; a failure is recorded on ``event``. May raise ChainUnreachable."""
    document = event.document
    if document is None or event.digest is None:
        return False
    key = org_key_of(document)

    def record_of(signer: str) -> SignerRecord:
        since, until, custody = registry.signer_of(key, signer)
        return SignerRecord(int(since), int(until), int(custody))

    judged = judge(
        document,
        "0x" + event.digest.hex(),
        entry.get("signature"),
        signing_domains(chain_id, address, replaced),
        record_of,
        at=anchored_at,
    )
    signer, found = judged.signer, judged.standing
    if signer is None or found is None:
        event.fail("signature_invalid")
        return False
    if found is Standing.SIGNS:
        return True
    params = {"org": document.get("org_name"), "signer": signer}
    if found is Standing.UNREGISTERED:
        event.outcome = Outcome.PENDING
        event.findings.append(Finding(Verdict.PENDING, "proof_signer_unregistered", params))
        return False
    event.fail(str(found), **params)
    return False
