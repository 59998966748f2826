"""Who signed a rules-v2 event, and whether the chain says that key spoke for its organisation.

The rule (docs/proof-rules.md section 12): a document verifies only if its signature recovers,
over the EIP-712 ``Event`` statement (orgKey of the document's ``org``, lotKey of its ``lot``,
its ``seq``, its event hash; domain: the registry its batch is anchored on), to an address R
that the registry records as a signer of that organisation at the anchoring time T: ``since``
≤ T and (no ``until``, or T < ``until``). At the same second a revocation wins. An event not
anchored yet is judged against now: its key must not be revoked, and a key the chain does not
know yet (its registration still on its way) leaves the event pending, never verified.

The domain is that of the registry holding the anchor or, failing that, of one of the
registries the deployment in use replaced (its record's ``retired`` and ``replaces``): an event
signed before an upgrade, or before a development chain's registry vanished and was deployed
again elsewhere, is anchored again on the successor. ``judge`` tries the domains in that order
and takes the first recovery the anchoring registry records as signing for the organisation at
T; whatever is recovered, its standing is read on the anchoring registry only, so a signature
made for any other contract (another deployment, a replay) never verifies.

The server (``engine``) and the offline verifier (``offline_checks``) both judge here, so they
cannot disagree; the signer's address is always recovered from the signature, never taken from
a column or a bundle. Recovery is pure arithmetic on its inputs, so its answers are remembered,
keyed by the digest and the signature (about 100 bytes an entry): enough entries for a lot
whose ancestors hold tens of thousands of events, so a read of such a lot does not push its
own first events out of the memo before it reaches its last (which made the cost of a read
grow faster than its events).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any

from backend.hashing import HashingError, from_hex, lot_key
from backend.hashing.eip712 import CUSTODY_NAMES, SigningDomain, org_key, signing_domain
from backend.hashing.event_digest import event_digest, recover_digest_signer
from backend.services.verification.signer_reads import SignerRecord

#: Recovered signers remembered (each entry about 250 bytes with the address and the dict's
#: own overhead: some 16 MB at most).
RECOVERED_MEMO = 65_536


class Standing(StrEnum):
    """What the registry's record says of a key for one moment (reason-code suffixes)."""

    SIGNS = "signs"
    UNSIGNED = "unsigned"  # no signature at all
    INVALID = "signature_invalid"  # no address recovers from it
    FOREIGN = "signer_foreign"  # never a key of this organisation
    REVOKED = "signer_revoked"  # revoked at or before the moment
    LATER = "signer_later"  # registered only after the moment
    UNREGISTERED = "signer_unregistered"  # not anchored yet, and its key not on chain yet


@dataclass(frozen=True)
class Signer:
    """The key that signed an event, as recovered, and who holds it as the chain records it."""

    address: str
    org: str
    org_name: str
    #: "client", "browser" or "custodial" from the registry's record; None: it could not say.
    custody: str | None
    #: The chain says this key signed for the organisation when it counts (section 12).
    confirmed: bool = False

    @property
    def short(self) -> str:
        """``0x12ab…cdef``: enough to tell keys apart on a page."""
        return f"{self.address[:6]}…{self.address[-4:]}"

    def as_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "org": self.org,
            "custody": self.custody,
            "confirmed": self.confirmed,
        }


def org_key_of(document: dict[str, Any]) -> bytes:
    """The registry's name of the document's organisation (keccak256 of the NFC slug)."""
    return _org_key(str(document["org"]))


def recover(
    document: dict[str, Any], event_hash: str, signature: object, domain: SigningDomain
) -> str | None:
    """The address whose key made ``signature`` over the document's ``Event`` statement;
    None for a malformed signature or one from which no address recovers."""
    if not isinstance(signature, str):
        return None
    try:
        seq = int(document["seq"])
        return _recover(
            domain, str(document["org"]), str(document["lot"]), seq, event_hash.lower(), signature
        )
    except (HashingError, KeyError, TypeError, ValueError):
        return None


@lru_cache(maxsize=16384)
def _recover(
    domain: SigningDomain, org: str, lot: str, seq: int, event_hash: str, signature: str
) -> str | None:
    """First memo, by the exact inputs: a hit costs a dictionary look-up."""
    digest = event_digest(
        domain,
        org_key=_org_key(org),
        lot_key=_lot_key(lot),
        seq=seq,
        event_hash=from_hex(event_hash),
    )
    return _recover_digest(digest, signature)


@lru_cache(maxsize=RECOVERED_MEMO)
def _recover_digest(digest: bytes, signature: str) -> str | None:
    """Second memo, by digest and signature (a quarter of the first's bytes an entry): large
    enough for the events of a long ancestry, so its reads do not recover every signer again."""
    return recover_digest_signer(digest, signature)


@lru_cache(maxsize=4096)
def _org_key(slug: str) -> bytes:
    return org_key(slug)


@lru_cache(maxsize=16384)
def _lot_key(code: str) -> bytes:
    return lot_key(code)


def standing(since: int, until: int, *, at: int | None) -> Standing:
    """Whether a key with this record signs validly at block time ``at`` (the anchoring time),
    or, with ``at`` None, for an event not anchored yet (judged at the verification block)."""
    if since == 0:
        return Standing.FOREIGN if at is not None else Standing.UNREGISTERED
    if until != 0 and (at is None or until <= at):
        return Standing.REVOKED
    if at is not None and since > at:
        return Standing.LATER
    return Standing.SIGNS


def custody_name(code: int) -> str | None:
    """The custody the registry records (1 client, 2 browser, 3 custodial) by its name."""
    return CUSTODY_NAMES.get(code)


@dataclass(frozen=True)
class Judged:
    """The outcome of :func:`judge`: who signed (None: the signature recovers to no one), the
    anchoring registry's record of that key (None: the chain could not say) and its standing."""

    signer: str | None
    record: SignerRecord | None = None
    standing: Standing | None = None


def signing_domains(
    chain_id: int, anchoring: str, replaced: Sequence[str]
) -> tuple[SigningDomain, ...]:
    """The domains a signature may name, in the order they are tried: the registry holding the
    anchor, then the registries the deployment in use replaced, each once. A pure function of
    its arguments, asked for every signed event, so its answers are remembered."""
    return _signing_domains(chain_id, anchoring, tuple(replaced))


@lru_cache(maxsize=256)
def _signing_domains(
    chain_id: int, anchoring: str, replaced: tuple[str, ...]
) -> tuple[SigningDomain, ...]:
    domains: list[SigningDomain] = []
    for address in (anchoring, *replaced):
        domain = signing_domain(chain_id, address)
        if domain not in domains:
            domains.append(domain)
    return tuple(domains)


def judge(
    document: dict[str, Any],
    event_hash: str,
    signature: object,
    domains: Sequence[SigningDomain],
    record_of: Callable[[str], SignerRecord | None],
    *,
    at: int | None,
) -> Judged:
    """The signer of ``document`` and its standing at ``at`` (see :func:`standing`).

    Each domain is tried in order and the first key that signs for the organisation is taken.
    When none does, the first key the registry knows for the organisation at all (revoked, or
    registered later) is reported, else the key recovered under the first domain. ``record_of``
    reads the registry holding the anchor; when it cannot say (None), the chain's answer is
    missing and nothing is judged further."""
    fallback: Judged | None = None
    for domain in domains:
        signer = recover(document, event_hash, signature, domain)
        if signer is None:
            if fallback is None:
                return Judged(None)  # malformed: no domain recovers anyone
            continue
        record = record_of(signer)
        if record is None:
            return Judged(signer)
        found = standing(record.since, record.until, at=at)
        judged = Judged(signer, record, found)
        if found is Standing.SIGNS:
            return judged
        if fallback is None or (
            fallback.record is not None and fallback.record.since == 0 < record.since
        ):
            fallback = judged
    return fallback if fallback is not None else Judged(None)
