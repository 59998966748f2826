"""Planning a capture: which SenTrace lots each EPCIS event is about, and what it records.

Every object an event names (its EPCs, the classes of its quantities, a parent, inputs and
outputs) is a SenTrace lot:

- a SenTrace lot URI (``{base}/l/{code}``) names that lot, which must exist;
- a Digital Link or EPC class URI with a lot (AI 10) names the lot of that code when it exists
  and its product has that GTIN;
- anything else (a serialised item, an SSCC, a class without a lot, another party's lot) is
  tracked as a lot of its own, coded ``EP-`` and ten base-32 characters of the SHA-256 of the
  identifier's canonical form, made by the first event that names it.

A lot that exists must be held by the capturing organisation (and not in transit). The SenTrace
event type follows the business step (docs/epcis.md); each lot named gets one event, whose
document names the EPCIS event (eventID, type, step) and the SHA-256 of its body.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from backend.services.interop.epcis.event_hash import CBV
from backend.services.interop.epcis.identifiers import canonical_identifier, gtin_and_lot
from backend.services.interop.epcis.index import identifiers_of, parse_time
from backend.services.interop.epcis.vocabulary import Vocabulary, cbv_uri

FOREIGN_PREFIX = "EP-"
#: SenTrace event types by CBV business step (an event without one of these is a note).
TYPE_BY_STEP = {
    "shipping": "shipping",
    "departing": "shipping",
    "receiving": "receiving",
    "arriving": "receiving",
    "accepting": "receiving",
    "packing": "packing",
    "repackaging": "packing",
    "retail_selling": "retail",
}
#: UN/ECE units back to the units SenTrace records.
UNIT_BY_UOM = {"KGM": "kg", "GRM": "g", "TNE": "t", "LTR": "l"}


@dataclass(frozen=True)
class LotRef:
    """A lot an event is about: its code, and how to make it if it does not exist yet."""

    code: str
    identifier: str  # canonical
    must_exist: bool
    gtin: str | None = None
    quantity: Any = None
    uom: str | None = None


@dataclass
class PlannedEvent:
    """One EPCIS event to record: its eventID, body, time, SenTrace type and lots."""

    index: int
    identity: str
    body: dict[str, Any]
    occurred_at: datetime
    sentrace_type: str
    lots: list[LotRef] = field(default_factory=list)


def foreign_code(identifier: str) -> str:
    """The code of the lot tracking an identifier SenTrace does not otherwise know."""
    digest = hashlib.sha256(identifier.encode("utf-8")).digest()
    return FOREIGN_PREFIX + base64.b32encode(digest).decode("ascii")[:10]


def sentrace_type(event: dict[str, Any]) -> str:
    """The SenTrace event type an EPCIS event is recorded as."""
    if event.get("type") == "TransformationEvent":
        return "processing"
    step = event.get("bizStep")
    if isinstance(step, str):
        word = cbv_uri("BizStep", step).removeprefix(f"{CBV}BizStep-")
        return TYPE_BY_STEP.get(word, "note")
    return "note"


def lot_refs(event: dict[str, Any], vocabulary: Vocabulary) -> list[LotRef]:
    """Every lot the event is about, each once, in code order (the order they are written)."""
    quantities = _quantities(event)
    refs: dict[str, LotRef] = {}
    for _kind, identifier in sorted(identifiers_of(event)):
        ref = _ref(identifier, vocabulary, quantities.get(identifier))
        refs.setdefault(ref.code, ref)
    return [refs[code] for code in sorted(refs)]


def event_time(event: dict[str, Any]) -> datetime:
    return parse_time(str(event["eventTime"]))


def _quantities(event: dict[str, Any]) -> dict[str, tuple[Any, str | None]]:
    found: dict[str, tuple[Any, str | None]] = {}
    for member in ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList"):
        for element in event.get(member) or []:
            uri = canonical_identifier(element["epcClass"])
            found.setdefault(uri, (element.get("quantity"), element.get("uom")))
    return found


def _ref(identifier: str, vocabulary: Vocabulary, amount: tuple[Any, str | None] | None) -> LotRef:
    quantity, uom = amount or (None, None)
    own = vocabulary.lot_code_of(identifier)
    if own is not None:
        return LotRef(code=own, identifier=identifier, must_exist=True)
    named = gtin_and_lot(identifier)
    gtin = named[0] if named else None
    return LotRef(
        code=foreign_code(identifier),
        identifier=identifier,
        must_exist=False,
        gtin=gtin,
        quantity=quantity,
        uom=uom,
    )


def gs1_lot(identifier: str) -> tuple[str, str] | None:
    """(GTIN, lot code) when ``identifier`` names a lot by GS1 Digital Link or EPC class."""
    named = gtin_and_lot(identifier)
    if named is None or named[1] is None:
        return None
    return named[0], named[1]
