"""Signed writes (issue 15): every statement a write makes is signed by its author's key.

``context`` says who signs (server, nobody yet, the signatures given); ``hook`` signs each
event after it is hashed and a recall's order; ``drafts`` keeps a write's statements until its
signatures come; ``protocol`` runs one write through the HTTP 428 protocol.
"""

from backend.services.signing.context import (
    ChainFacts,
    FixedChainFacts,
    Mode,
    SigningContext,
    current,
    default_chain,
    set_default_chain,
    signing,
)
from backend.services.signing.hook import (
    RecallSignature,
    sign_diary_entry,
    sign_event,
    sign_recall,
)
from backend.services.signing.protocol import (
    DRAFT_FIELD,
    DRAFT_HEADER,
    SIGNATURES_FIELD,
    SIGNATURES_HEADER,
    SignedRequest,
    run_signed,
    signed_request,
)

__all__ = [
    "DRAFT_FIELD",
    "DRAFT_HEADER",
    "SIGNATURES_FIELD",
    "SIGNATURES_HEADER",
    "ChainFacts",
    "FixedChainFacts",
    "Mode",
    "RecallSignature",
    "SignedRequest",
    "SigningContext",
    "current",
    "default_chain",
    "run_signed",
    "set_default_chain",
    "sign_diary_entry",
    "sign_event",
    "sign_recall",
    "signed_request",
    "signing",
]
