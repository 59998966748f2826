"""Domain exceptions: what went wrong, in terms of the ledger, never of HTTP.

Services raise these; ``backend.api.errors`` maps each class to one HTTP status in one place.

    SenTraceError
    ├── InvalidInput          a field has a bad value (names the field)           → 422
    ├── DocumentRefused       a whole document refused, every error by its path   → 400
    ├── NotAuthenticated      no credentials, or wrong ones                       → 401
    ├── PermissionDenied      known caller, not allowed to do this                → 403
    ├── NotFound              the thing named does not exist                      → 404
    ├── Conflict              duplicate code, state that forbids the action       → 409
    │   └── DraftOutdated     the signed draft no longer matches (a fresh one)    → 409
    ├── PayloadTooLarge       request body over the configured limit              → 413
    ├── SignatureRequired     a write needs its author's signatures (a draft)     → 428
    ├── RateLimited           too many requests from one client                   → 429
    └── ServiceUnavailable    database or chain down; safe to retry later         → 503
"""

from __future__ import annotations


class SenTraceError(Exception):
    """Root of every error the application raises on purpose."""

    code: str = "error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(SenTraceError):
    """A value is malformed or out of range; ``field`` names it (dotted path)."""

    code = "invalid_input"


class DocumentRefused(SenTraceError):
    """A document submitted whole (an EPCIS capture) has errors; ``errors`` lists each as
    ``{"path": JSON path, "message": …}`` and nothing of it was stored."""

    code = "document_refused"

    def __init__(self, message: str, *, errors: list[dict[str, str]]) -> None:
        super().__init__(message, field=errors[0]["path"] if errors else None)
        self.errors = errors


class NotAuthenticated(SenTraceError):
    """The request carries no valid credentials."""

    code = "not_authenticated"


class PermissionDenied(SenTraceError):
    """The caller is known but may not act on this resource (role or ownership)."""

    code = "permission_denied"


class NotFound(SenTraceError):
    """The lot, farm, product, organisation or batch named does not exist."""

    code = "not_found"


class Conflict(SenTraceError):
    """The request clashes with what is stored (duplicate code, already recalled …)."""

    code = "conflict"


class DraftOutdated(Conflict):
    """The signatures were for a draft that is used, expired or no longer what the request
    builds (the lot moved on); ``draft`` is a fresh one to sign instead."""

    code = "draft_outdated"

    def __init__(self, message: str, *, draft: dict[str, object], field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.draft = draft


class SignatureRequired(SenTraceError):
    """The write records statements its author must sign; ``draft`` (if any) says what to sign
    and how to send the request again."""

    code = "signature_required"

    def __init__(
        self, message: str, *, draft: dict[str, object] | None = None, field: str = "signatures"
    ) -> None:
        super().__init__(message, field=field)
        self.draft = draft


class PayloadTooLarge(SenTraceError):
    """The body is larger than ``SENTRACE_MAX_BODY_BYTES``."""

    code = "payload_too_large"


class RateLimited(SenTraceError):
    """Too many requests from one client; ``retry_after`` says when to come back."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ServiceUnavailable(SenTraceError):
    """A dependency (database, chain node) is down; the request may be retried."""

    code = "service_unavailable"

    def __init__(self, message: str, *, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after
