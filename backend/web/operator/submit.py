"""Settling a posted form: validate, write through the service, commit, answer; or show it again.

Every form of the operator app ends the same way, so it is written once: a form with field
errors, or a write the service refuses for a reason that belongs on the form (bad or clashing
input), comes back as the same page with status 422, everything typed still in place and the
service's message under the field it names. Any other refusal (not yours, no such lot) is
raised on to the route, which answers with an error page. A write that went through is
committed before the answer is built, so a "done" never reports something the database lost.

Writes are signed as API writes are (``services.signing.protocol``): for an organisation that
holds its own keys, a form posted without signatures is answered 428, as JSON with the draft to
sign when the request accepts ``application/json`` (the app's script signs it in the browser
and posts the form again with ``X-SenTrace-Draft``/``X-SenTrace-Signatures`` headers or the
``sentrace_draft``/``sentrace_signatures`` fields), else as the form again with a refusal that
says where to set up a key. The draft belongs to the form's fields as posted (the CSRF token and
those two fields left out), so only the same form applies it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from sqlmodel import Session

from backend.errors import DraftOutdated, InvalidInput, SenTraceError, SignatureRequired
from backend.http.signed_writes import chain_facts
from backend.i18n.messages import message
from backend.services.signing import (
    DRAFT_FIELD,
    DRAFT_HEADER,
    SIGNATURES_FIELD,
    SIGNATURES_HEADER,
    SignedRequest,
    run_signed,
    signed_request,
)
from backend.services.transactions import commit
from backend.web.operator.context import FormPage
from backend.web.operator.forms import (
    FieldReader,
    FormState,
    apply_service_error,
    localise_message,
    shows_on_form,
)

#: The answer to a form that has to be corrected and sent again.
FORM_ERROR_STATUS = 422
SIGNATURE_REQUIRED_STATUS = 428
DRAFT_OUTDATED_STATUS = 409
NEEDS_KEY = message("signing.form_needs_key")
_SIGNING_FIELDS = frozenset({DRAFT_FIELD, SIGNATURES_FIELD})

Written = TypeVar("Written")


@dataclass(frozen=True)
class Submission:
    """One posted form: its fields, read with messages in the visitor's language, and its write
    (``request`` lets the write be signed by the operator's organisation; without it the
    services decide alone: the server signs for a custodial organisation, others are refused)."""

    fields: FieldReader
    session: Session
    lang: str
    request: Request | None = None

    @property
    def form(self) -> FormState:
        return self.fields.state

    def settle(
        self,
        write: Callable[[], Written],
        *,
        then: Callable[[Written], Response],
        again: FormPage,
        field_map: dict[str, str] | None = None,
        fallback_field: str = "_form",
    ) -> Response:
        """``then(write())`` once committed; ``again`` with 422 if the form or the write fails
        (428 or 409 when signatures are missing or outdated, see the module docstring).

        ``write`` runs only for a form without field errors; ``field_map`` and
        ``fallback_field`` say where a service error's field lands on this form.
        """
        if not self.form.ok:
            return again.show(self.form, status=FORM_ERROR_STATUS)
        try:
            written = self._signed(write)
            commit(self.session)
        except (SignatureRequired, DraftOutdated) as exc:
            self.session.rollback()
            return self._unsigned(exc, again)
        except SenTraceError as exc:
            self.session.rollback()
            if self._wants_json() and _about_signing(exc):
                return _json(exc, FORM_ERROR_STATUS)
            if not shows_on_form(exc):
                raise
            apply_service_error(
                self.form, exc, lang=self.lang, field_map=field_map, fallback_field=fallback_field
            )
            return again.show(self.form, status=FORM_ERROR_STATUS)
        return then(written)

    def _signed(self, write: Callable[[], Written]) -> Written:
        request = self.request
        operator = getattr(request.state, "operator", None) if request is not None else None
        if request is None or operator is None:
            return write()
        return run_signed(
            self.session,
            org=operator.org,
            request=self._signed_request(request),
            chain=chain_facts(request.app.state.runtime),
            write=write,
        )

    def _signed_request(self, request: Request) -> SignedRequest:
        values = self.form.values
        fields = {k: v for k, v in values.items() if k not in _SIGNING_FIELDS}
        body = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(
            f"{request.method}\n{request.url.path}\n".encode() + body.encode("utf-8")
        ).hexdigest()
        draft = request.headers.get(DRAFT_HEADER) or values.get(DRAFT_FIELD)
        signatures = request.headers.get(SIGNATURES_HEADER) or values.get(SIGNATURES_FIELD)
        return signed_request(digest, draft, signatures)

    def _unsigned(self, exc: SignatureRequired | DraftOutdated, again: FormPage) -> Response:
        status = (
            SIGNATURE_REQUIRED_STATUS
            if isinstance(exc, SignatureRequired)
            else DRAFT_OUTDATED_STATUS
        )
        if self._wants_json():
            return _json(exc, status)
        text = NEEDS_KEY if isinstance(exc, SignatureRequired) else exc.message
        self.form.fail("_form", localise_message(text, self.lang))
        return again.show(self.form, status=status)

    def _wants_json(self) -> bool:
        accept = self.request.headers.get("accept", "") if self.request is not None else ""
        return "application/json" in accept


def _about_signing(exc: SenTraceError) -> bool:
    field = exc.field or ""
    return isinstance(exc, InvalidInput) and (
        field.startswith("signatures") or field == DRAFT_HEADER
    )


def _json(exc: SenTraceError, status: int) -> JSONResponse:
    body: dict[str, object] = {"detail": exc.message, "code": exc.code, "field": exc.field}
    if isinstance(exc, SignatureRequired | DraftOutdated):
        body["draft"] = exc.draft
    return JSONResponse(body, status_code=status)
