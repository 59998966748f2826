"""Settling a posted form: validate, write through the service, commit, answer; or show it again.

Every form of the operator app ends the same way, so it is written once: a form with field
errors, or a write the service refuses for a reason that belongs on the form (bad or clashing
input), comes back as the same page with status 422, everything typed still in place and the
service's message under the field it names. Any other refusal (not yours, no such lot) is
raised on to the route, which answers with an error page. A write that went through is
committed before the answer is built, so a "done" never reports something the database lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from fastapi import Response
from sqlmodel import Session

from backend.errors import SenTraceError
from backend.services.transactions import commit
from backend.web.operator.context import FormPage
from backend.web.operator.forms import FieldReader, FormState, apply_service_error, shows_on_form

#: The answer to a form that has to be corrected and sent again.
FORM_ERROR_STATUS = 422

Written = TypeVar("Written")


@dataclass(frozen=True)
class Submission:
    """One posted form: its fields, read with messages in the visitor's language, and its write."""

    fields: FieldReader
    session: Session
    lang: str

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
        """``then(write())`` once committed; ``again`` with 422 if the form or the write fails.

        ``write`` runs only for a form without field errors; ``field_map`` and
        ``fallback_field`` say where a service error's field lands on this form.
        """
        if not self.form.ok:
            return again.show(self.form, status=FORM_ERROR_STATUS)
        try:
            written = write()
            commit(self.session)
        except SenTraceError as exc:
            self.session.rollback()
            if not shows_on_form(exc):
                raise
            apply_service_error(
                self.form, exc, lang=self.lang, field_map=field_map, fallback_field=fallback_field
            )
            return again.show(self.form, status=FORM_ERROR_STATUS)
        return then(written)
