"""One signed write, from the first request to the applied draft (HTTP 428 protocol).

The layer that received the request (API or operator form) calls :func:`run_signed` with the
write as a callable that may be run more than once, the request's fingerprint, and the draft
id and signatures it carried, if any:

1. a custodial organisation's write runs with the server signing (``CUSTODIAL``);
2. without a draft the write runs once to collect its statements under a fresh seed: none
   (nothing to sign) and its result stands; otherwise it is rolled back, a draft is stored and
   :class:`SignatureRequired` (428) carries it;
3. with a draft the write runs again under the draft's seed and pinned time (``APPLY``), so it
   builds the same documents; each signature must recover to a pending or active key of the
   organisation (422 naming ``signatures[i]``); the draft is used up in the same transaction.
   A draft that is gone, or no longer what the request builds (the lot moved on), is answered
   by :class:`DraftOutdated` (409) with a fresh draft.

The caller commits the result (and answers); everything else here commits only a draft.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from sqlmodel import Session

from backend import entropy
from backend.errors import DraftOutdated, InvalidInput, SignatureRequired
from backend.i18n.messages import message
from backend.models import KeyCustody, Organisation, WriteDraft
from backend.services.signing.context import ChainFacts, Mode, SigningContext, signing
from backend.services.signing.drafts import draft_body, new_seed, store_draft, usable_draft
from backend.services.signing.hook import StatementMismatch

#: The request headers (and, on a form, the hidden fields) of a signed write.
DRAFT_HEADER = "X-SenTrace-Draft"
SIGNATURES_HEADER = "X-SenTrace-Signatures"
DRAFT_FIELD = "sentrace_draft"
SIGNATURES_FIELD = "sentrace_signatures"

_SIGNATURE = re.compile(r"0x[0-9a-fA-F]{130}")
Result = TypeVar("Result")


@dataclass(frozen=True)
class SignedRequest:
    """What a request brought for signing: its fingerprint, and a draft id with signatures."""

    fingerprint: str
    draft_id: str | None = None
    signatures: tuple[str, ...] = ()


def parse_signatures(raw: str | None) -> tuple[str, ...]:
    """``0x…,0x…`` as a tuple; 422 naming ``signatures[i]`` for one that is not 65 bytes hex."""
    if raw is None or not raw.strip():
        return ()
    parts = tuple(part.strip() for part in raw.split(","))
    for index, part in enumerate(parts):
        if not _SIGNATURE.fullmatch(part):
            raise InvalidInput(message("signing.bad_header"), field=f"signatures[{index}]")
    return parts


def signed_request(fingerprint: str, draft_id: str | None, signatures: str | None) -> SignedRequest:
    """A :class:`SignedRequest` from the header (or form field) values as received."""
    draft = (draft_id or "").strip() or None
    return SignedRequest(fingerprint, draft, parse_signatures(signatures) if draft else ())


def run_signed(
    session: Session,
    *,
    org: Organisation,
    request: SignedRequest,
    chain: ChainFacts,
    write: Callable[[], Result],
) -> Result:
    """Run ``write`` under the signing protocol (see the module docstring); the caller commits."""
    if org.key_custody == KeyCustody.CUSTODIAL.value:
        with signing(SigningContext(Mode.CUSTODIAL, chain)):
            return write()
    if request.draft_id is None:
        return _collect(session, org=org, request=request, chain=chain, write=write)
    return _apply(session, org=org, request=request, chain=chain, write=write)


def _collect(
    session: Session,
    *,
    org: Organisation,
    request: SignedRequest,
    chain: ChainFacts,
    write: Callable[[], Result],
    outdated: WriteDraft | None = None,
) -> Result:
    """Run ``write`` to learn its statements; store them as a draft and refuse (428, or 409
    when ``outdated`` is the draft the client signed). Nothing to sign: the result stands."""
    seed, pinned = new_seed(), entropy.real_now()
    context = SigningContext(Mode.COLLECT, chain)
    with entropy.seeded(seed, pinned), signing(context):
        result = write()
    if not context.statements:
        if outdated is not None:
            session.delete(outdated)
        return result
    session.rollback()
    if outdated is not None:
        stale = session.get(WriteDraft, outdated.id)
        if stale is not None:
            session.delete(stale)
    draft = store_draft(
        session,
        org=org,
        fingerprint=request.fingerprint,
        seed=seed,
        pinned_now=pinned,
        statements=context.statements,
    )
    session.commit()
    body = draft_body(draft)
    if outdated is not None:
        raise DraftOutdated(message("signing.draft_outdated"), draft=body, field="signatures")
    raise SignatureRequired(message("signing.required"), draft=body)


def _apply(
    session: Session,
    *,
    org: Organisation,
    request: SignedRequest,
    chain: ChainFacts,
    write: Callable[[], Result],
) -> Result:
    assert request.draft_id is not None
    draft = usable_draft(session, draft_id=request.draft_id, org=org)
    if draft is None:
        try:
            _collect(session, org=org, request=request, chain=chain, write=write)
        except SignatureRequired as fresh:
            raise DraftOutdated(
                message("signing.draft_gone"), draft=fresh.draft or {}, field=DRAFT_HEADER
            ) from None
        session.rollback()  # nothing to sign now: still, a stale draft applies nothing
        raise DraftOutdated(message("signing.draft_gone"), draft={}, field=DRAFT_HEADER)
    if draft.fingerprint != request.fingerprint:
        raise InvalidInput(message("signing.draft_other_request"), field=DRAFT_HEADER)
    _check_count(request.signatures, draft.statements)
    context = SigningContext(
        Mode.APPLY, chain, expected=draft.statements, signatures=request.signatures
    )
    try:
        with entropy.seeded(draft.seed, draft.pinned_now), signing(context):
            result = write()
        if len(context.statements) != len(draft.statements):
            raise StatementMismatch(len(context.statements))
    except StatementMismatch:
        session.rollback()
        return _collect(session, org=org, request=request, chain=chain, write=write, outdated=draft)
    session.delete(draft)
    session.flush()
    return result


def _check_count(signatures: Sequence[str], statements: Sequence[object]) -> None:
    if len(signatures) != len(statements):
        raise InvalidInput(message("signing.count", expected=len(statements)), field="signatures")
