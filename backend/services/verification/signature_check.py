"""The server's signature step for a rules-v2 event (docs/proof-rules.md section 12).

Run after the event's own checks (bytes, hash, proof, anchor): a finding that is already
``tampered`` stays as it is; otherwise the signature stored with the event must recover to a
key that the registry holding the anchor records for the document's organisation at the
anchoring time, read at the request's block (``ChainView.signer_record``). The statement's
domain is that registry's or, failing that, one the deployment in use replaced
(``ChainView.replaced_registries``; ``signatures.judge``). Anything else makes
the event ``tampered`` with the reason named, so a row written behind the application's back,
however well hashed and anchored, never reads verified. When the chain cannot be asked, an
anchored event reads ``pending`` (unconfirmed), never ``verified``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from backend.models import Event
from backend.services.verification.chain_view import AnchorFact, AnchorState, ChainView
from backend.services.verification.signatures import (
    Signer,
    Standing,
    custody_name,
    judge,
    org_key_of,
    signing_domains,
)
from backend.services.verification.verdicts import Finding, Verdict

_ON_CHAIN = (AnchorState.FINAL, AnchorState.SHALLOW)


def signed_finding(
    event: Event,
    document: dict[str, Any],
    event_hash: str,
    anchor: AnchorFact | None,
    base: Finding,
    view: ChainView,
) -> tuple[Finding, Signer | None]:
    """The event's finding once its signature is judged, and who signed it (when recovered)."""
    if base.verdict is Verdict.TAMPERED:
        return base, None
    signature = getattr(event, "signature", None)
    if not signature:
        return Finding(Verdict.TAMPERED, "tampered_unsigned", _org(document)), None
    anchored = anchor is not None and anchor.state in _ON_CHAIN and anchor.timestamp is not None
    registry = anchor.registry if anchored and anchor is not None else None
    address, chain_id = registry or view.contract_address, view.chain_id
    if address is None or chain_id is None:
        return _unconfirmed(base), None
    domains = signing_domains(chain_id, address, view.replaced_registries)
    at = anchor.timestamp if anchored and anchor is not None else None
    key = org_key_of(document)
    judged = judge(
        document,
        event_hash,
        signature,
        domains,
        lambda recovered: view.signer_record(registry, key, recovered),
        at=at,
    )
    recovered, record, found = judged.signer, judged.record, judged.standing
    if recovered is None:
        return Finding(Verdict.TAMPERED, "tampered_signature_invalid", _org(document)), None
    org, org_name = str(document["org"]), str(document["org_name"])
    if record is None or found is None:
        return _unconfirmed(base), _signer(recovered, org, org_name, None, False)
    confirmed = found is Standing.SIGNS
    signer = _signer(recovered, org, org_name, custody_name(record.custody), confirmed)
    if confirmed:
        return base, signer
    params = {**_org(document), "signer": recovered}
    if found is Standing.UNREGISTERED:
        return Finding(Verdict.PENDING, "pending_signer_unregistered", params), signer
    return Finding(Verdict.TAMPERED, f"tampered_{found}", params), signer


def _org(document: dict[str, Any]) -> dict[str, Any]:
    return {"org": document["org_name"]}


@lru_cache(maxsize=4096)
def _signer(address: str, org: str, org_name: str, custody: str | None, confirmed: bool) -> Signer:
    """One shared (immutable) signer per exact value: a lot's events are signed by a few keys."""
    return Signer(address, org, org_name, custody, confirmed=confirmed)


def _unconfirmed(base: Finding) -> Finding:
    """The chain cannot say who signs for the organisation: never ``verified`` on that."""
    if base.verdict is Verdict.VERIFIED:
        return Finding(Verdict.PENDING, "pending_chain_unreachable")
    return base
