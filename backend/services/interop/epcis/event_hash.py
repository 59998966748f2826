"""The CBV 2.0 event hash: ``ni:///sha-256;<hex>?ver=CBV2.0`` of an EPCIS event's pre-hash string.

CBV 2.0 (section 8.9) names an event by hashing a *pre-hash string*: the event's values
concatenated without separators as ``key=value`` in a fixed property order (:data:`ORDER`),
the members of a list sorted, timestamps in UTC with milliseconds, numbers without trailing
zeros, bare CBV words and URNs written as their ``https://ref.gs1.org/cbv/…`` URIs, EPC URIs as
canonical GS1 Digital Link URIs, and ILMD and user extension members as ``{namespace}local``
(the namespace taken from the document's ``@context``), sorted, at the end. ``recordTime``,
``eventID``, ``errorDeclaration`` and JSON-LD keywords are not hashed.

SenTrace also leaves out the one member it adds to every event it exports, ``sentrace:proof``
(:data:`PROOF_MEMBER`): the anchoring facts it carries appear only once the event's batch is
anchored, and an event's name must not change when they do (docs/epcis.md).

Checked against the hashes GS1's reference implementation gives for GS1's example documents
(tests/vectors/epcis_event_hashes.json).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from backend.services.interop.epcis.identifiers import canonical_identifier

PROOF_MEMBER = "sentrace:proof"
CBV = "https://ref.gs1.org/cbv/"
GS1_VOC = "https://gs1.org/voc/"

Order = Sequence[tuple[str, "Order | None"]]
_QUANTITY: Order = [("epcClass", None), ("quantity", None), ("uom", None)]
_METADATA_NAMES = ["time", "startTime", "endTime", "deviceID", "deviceMetadata", "rawData"]
_METADATA_NAMES += ["dataProcessingMethod", "bizRules"]
_SENSOR_METADATA: Order = [(name, None) for name in _METADATA_NAMES]
_REPORT_NAMES = ["type", "exception", "deviceID", "deviceMetadata", "rawData"]
_REPORT_NAMES += ["dataProcessingMethod", "time", "microorganism", "chemicalSubstance", "value"]
_REPORT_NAMES += ["component", "stringValue", "booleanValue", "hexBinaryValue", "uriValue"]
_REPORT_NAMES += ["minValue", "maxValue", "meanValue", "sDev", "percRank", "percValue", "uom"]
_REPORT_NAMES += ["coordinateReferenceSystem"]
_SENSOR_REPORT: Order = [(name, None) for name in _REPORT_NAMES]
#: The canonical property order (as GS1's reference implementation applies it).
ORDER: Order = [
    ("eventTime", None),
    ("eventTimeZoneOffset", None),
    ("certificationInfo", None),
    ("parentID", None),
    ("epcList", None),
    ("inputEPCList", None),
    ("childEPCs", None),
    ("quantityList", _QUANTITY),
    ("childQuantityList", _QUANTITY),
    ("inputQuantityList", _QUANTITY),
    ("outputEPCList", None),
    ("outputQuantityList", _QUANTITY),
    ("action", None),
    ("transformationID", None),
    ("bizStep", None),
    ("disposition", None),
    ("persistentDisposition", [("set", None), ("unset", None)]),
    ("readPoint", [("id", None)]),
    ("bizLocation", [("id", None)]),
    ("bizTransactionList", [("type", None), ("bizTransaction", None)]),
    ("sourceList", [("type", None), ("source", None)]),
    ("destinationList", [("type", None), ("destination", None)]),
    ("sensorElementList", [("sensorMetadata", _SENSOR_METADATA), ("sensorReport", _SENSOR_REPORT)]),
    ("ilmd", None),
]
_EPC_LISTS = {"epcList", "inputEPCList", "childEPCs", "outputEPCList"}
_LIST_ITEM = {
    "quantityList": "quantityElement",
    "childQuantityList": "quantityElement",
    "inputQuantityList": "quantityElement",
    "outputQuantityList": "quantityElement",
    "sensorElementList": "sensorElement",
}
_NOT_HASHED = {"type", "eventID", "recordTime", "errorDeclaration", PROOF_MEMBER}
#: Bare CBV words by the member that holds them, and the URI prefix they stand for.
_VOCABULARY = {
    "bizStep": f"{CBV}BizStep-",
    "disposition": f"{CBV}Disp-",
    "set": f"{CBV}Disp-",
    "unset": f"{CBV}Disp-",
    "component": f"{CBV}Comp-",
    "exception": f"{GS1_VOC}SensorAlertType-",
}
_TYPED_LISTS = {"bizTransactionList": f"{CBV}BTT-", "sourceList": f"{CBV}SDT-"}
_TYPED_LISTS["destinationList"] = f"{CBV}SDT-"
_URNS = (
    ("urn:epcglobal:cbv:bizstep:", f"{CBV}BizStep-"),
    ("urn:epcglobal:cbv:disp:", f"{CBV}Disp-"),
    ("urn:epcglobal:cbv:btt:", f"{CBV}BTT-"),
    ("urn:epcglobal:cbv:sdt:", f"{CBV}SDT-"),
    ("urn:epcglobal:cbv:er:", f"{CBV}ER-"),
)
_CURIES = {"gs1": GS1_VOC, "cbv": CBV, "epcis": "https://ref.gs1.org/epcis/"}


def event_id(event: Mapping[str, Any], context: Any = None) -> str:
    """The CBV 2.0 event hash of ``event`` (its document's ``@context`` names the prefixes of
    its extension members)."""
    digest = hashlib.sha256(pre_hash(event, context).encode("utf-8")).hexdigest()
    return f"ni:///sha-256;{digest}?ver=CBV2.0"


def pre_hash(event: Mapping[str, Any], context: Any = None) -> str:
    """The pre-hash string of ``event`` (see the module docstring)."""
    prefixes = context_prefixes(context)
    if isinstance(event.get("@context"), list | dict):
        prefixes = {**prefixes, **context_prefixes(event["@context"])}
    out = [f"eventType={event.get('type', '')}"]
    known = {name for name, _ in ORDER}
    for name, order in ORDER:
        if name in event:
            out.append(_member(name, event[name], order, prefixes))
    rest = [
        _extension(key, value, prefixes)
        for key, value in event.items()
        if key not in known and key not in _NOT_HASHED and not key.startswith("@")
    ]
    return "".join(out) + "".join(sorted(rest))


def context_prefixes(context: Any) -> dict[str, str]:
    """The prefix → namespace IRI definitions of a JSON-LD ``@context`` (string entries, the
    published contexts, define none that events use as extension prefixes)."""
    entries = context if isinstance(context, list) else [context]
    found: dict[str, str] = {}
    for entry in entries:
        if isinstance(entry, dict):
            for key, value in entry.items():
                if isinstance(value, str) and not key.startswith("@"):
                    found[key] = value
    return found


def _member(name: str, value: Any, order: Order | None, prefixes: dict[str, str]) -> str:
    if name in _EPC_LISTS:
        return name + "".join(sorted(f"epc={_value(v)}" for v in _as_list(value)))
    if name in _TYPED_LISTS:
        return name + "".join(sorted(_typed(item, name, prefixes) for item in _as_list(value)))
    if name == "ilmd" and isinstance(value, Mapping):
        return name + "".join(sorted(_extension(k, v, prefixes) for k, v in value.items()))
    if name in _LIST_ITEM and order is not None:
        item = _LIST_ITEM[name]
        parts = [item + _ordered(v, order, prefixes) for v in _as_list(value)]
        return name + "".join(sorted(parts))
    if order is not None and isinstance(value, Mapping):
        return name + _ordered(value, order, prefixes)
    values = _as_list(value)
    return "".join(sorted(_pair(name, v) for v in values))


def _ordered(value: Any, order: Order, prefixes: dict[str, str]) -> str:
    """A structured member's children in ``order``, then its own extensions, sorted."""
    if not isinstance(value, Mapping):
        return ""
    out = ""
    for name, sub in order:
        if name not in value:
            continue
        child = value[name]
        if sub is not None:
            out += "".join(sorted(name + _ordered(c, sub, prefixes) for c in _as_list(child)))
        else:
            out += "".join(sorted(_pair(name, v) for v in _as_list(child)))
    known = {name for name, _ in order}
    rest = [_extension(k, v, prefixes) for k, v in value.items() if k not in known]
    return out + "".join(sorted(rest))


def _typed(item: Any, list_name: str, prefixes: dict[str, str]) -> str:
    """One business transaction, source or destination: its type first, then its value."""
    if not isinstance(item, Mapping):
        return ""
    key = {"bizTransactionList": "bizTransaction", "sourceList": "source"}.get(
        list_name, "destination"
    )
    out = ""
    if "type" in item:
        kind = str(item["type"]).strip()
        if ":" not in kind:
            kind = _TYPED_LISTS[list_name] + kind
        out += f"type={_value(kind)}"
    if key in item:
        out += f"{key}={_value(item[key])}"
    rest = [_extension(k, v, prefixes) for k, v in item.items() if k not in ("type", key)]
    return out + "".join(sorted(rest))


def _pair(name: str, value: Any) -> str:
    if isinstance(value, str) and ":" not in value and name in _VOCABULARY:
        value = _VOCABULARY[name] + value.strip()
    elif name == "type" and isinstance(value, str) and ":" not in value:
        value = GS1_VOC + value.strip()  # a sensor report's measurement type
    if "time" in name.lower() and "offset" not in name.lower() and isinstance(value, str):
        return f"{name}={utc_millis(value)}"
    text = _value(value)
    return f"{name}={text}" if text else ""


def _extension(key: str, value: Any, prefixes: dict[str, str]) -> str:
    """An ILMD or user extension member: ``{namespace}local`` and its value or children."""
    name = _expanded_key(key, prefixes)
    if isinstance(value, Mapping):
        children = [_extension(k, v, prefixes) for k, v in value.items() if not k.startswith("@")]
        text = str(value.get("#text", "")).strip()
        return name + (f"={_value(text)}" if text else "") + "".join(sorted(children))
    if isinstance(value, list):
        return "".join(sorted(_extension(key, v, prefixes) for v in value))
    text = _value(value)
    return name + (f"={text}" if text else "")


def _expanded_key(key: str, prefixes: dict[str, str]) -> str:
    prefix, _, local = key.partition(":")
    if local and prefix in prefixes:
        return "{" + prefixes[prefix] + "}" + local
    return key


def _value(value: Any) -> str:
    """A value as hashed: trimmed, URNs and CURIEs of the standard vocabularies expanded,
    numbers without trailing zeros, EPC and Digital Link URIs canonical."""
    text = ("true" if value else "false") if isinstance(value, bool) else str(value).strip()
    for urn, uri in _URNS:
        if text.startswith(urn):
            text = uri + text[len(urn) :]
    prefix, _, local = text.partition(":")
    if prefix in _CURIES and local and not local.startswith("//"):
        text = _CURIES[prefix] + local
    text = _number(text)
    return canonical_identifier(text)


def _number(text: str) -> str:
    """``text`` written as a number without trailing zeros, if it is a plain number."""
    try:
        number = float(text)
    except ValueError:
        return text
    if number != number or number in (float("inf"), float("-inf")):
        return text
    return str(int(number)) if number == int(number) else str(number)


def utc_millis(stamp: str) -> str:
    """An xsd:dateTimeStamp in UTC with exactly three decimals (the third rounded half up)."""
    try:
        head, fraction, offset = _split_time(stamp.strip())
        moment = datetime.fromisoformat(head + offset).astimezone(UTC)
        millis = Decimal("0." + (fraction or "0")).quantize(Decimal("0.001"), ROUND_HALF_UP)
    except (ValueError, InvalidOperation, OverflowError):
        return stamp.strip()
    whole = moment.replace(microsecond=0)
    if millis >= 1:
        try:
            whole = whole + timedelta(seconds=1)
        except OverflowError:
            return stamp.strip()
        millis = Decimal("0.000")
    return whole.strftime("%Y-%m-%dT%H:%M:%S") + f".{str(millis)[2:]:0<3}Z"


def _split_time(stamp: str) -> tuple[str, str, str]:
    """(date and whole seconds, fraction digits, offset) of an RFC 3339 timestamp."""
    if stamp.endswith(("Z", "z")):
        body, offset = stamp[:-1], "+00:00"
    else:
        body, offset = stamp[:-6], stamp[-6:]
    head, _, fraction = body.partition(".")
    if not fraction.isdigit() and fraction:
        raise ValueError(stamp)
    return head, fraction, offset


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]
