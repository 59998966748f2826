"""One SenTrace event document as an EPCIS 2.0 event (the mapping table of docs/epcis.md).

The input is a proven document (the canonical document verification checked): everything the
EPCIS event says comes from it, and from the lot's first document for the lot's product.
Private values (commitments) are never mapped. The result carries no ``eventID`` and no
``sentrace:proof``: the exporter adds both (the eventID is the CBV 2.0 hash of this result).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from backend.services.interop.epcis.vocabulary import Vocabulary, uom

#: Extension members of SenTrace's namespace are written with this prefix.
PREFIX_TERM = "sentrace:"
#: Đồng Tháp's offset: documents hold UTC times; EPCIS states where the event happened.
TIME_ZONE_OFFSET = "+07:00"


@dataclass(frozen=True)
class LotFacts:
    """What the lot's first document says about its product, and the lot's unit."""

    code: str
    gtin: str | None
    unit: str


def number(text: Any) -> int | float:
    """A decimal string as a JSON number (EPCIS quantities are numbers)."""
    value = Decimal(str(text))
    return int(value) if value == value.to_integral_value() else float(value)


class Mapper:
    """Maps documents of one deployment (its vocabulary) to EPCIS events."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.voc = vocabulary
        self._by_type: dict[str, Callable[[dict[str, Any], LotFacts], dict[str, Any]]] = {
            "harvest": self._harvest,
            "transfer": self._shipping,
            "shipping": self._shipping,
            "transfer_received": self._observed("receiving", "in_progress"),
            "receiving": self._observed("receiving", "in_progress"),
            "transfer_voided": self._observed("void_shipping", None),
            "transfer_refused": self._custom("transfer_refused"),
            "packing": self._observed("packing", None),
            "retail": self._observed("retail_selling", "retail_sold"),
            "split": self._split,
            "merge": self._merge,
            "processing": self._processing,
            "recall": self._recall,
            "input_application": self._custom("input_application"),
            "quality_check": self._quality_check,
            "note": self._custom("note"),
        }

    def event(self, document: dict[str, Any], lot: LotFacts) -> dict[str, Any]:
        """The EPCIS event of ``document`` (an unknown type reads as a note)."""
        build = self._by_type.get(document["type"], self._custom(document["type"]))
        event = build(document, lot)
        return {
            "type": event.pop("type"),
            "eventTime": document["occurred_at"],
            "eventTimeZoneOffset": TIME_ZONE_OFFSET,
            **event,
        }

    # --------------------------------------------------------------------- helpers

    def _quantity(self, code: str, lot: LotFacts, amount: Any = None) -> dict[str, Any]:
        element: dict[str, Any] = {"epcClass": self.voc.lot_class(code, lot.gtin)}
        if amount is not None:
            element["quantity"] = number(amount)
            code_of_unit = uom(lot.unit)
            if code_of_unit:
                element["uom"] = code_of_unit
        return element

    def _object(self, lot: LotFacts, action: str = "OBSERVE", **extra: Any) -> dict[str, Any]:
        return {
            "type": "ObjectEvent",
            "quantityList": [self._quantity(lot.code, lot)],
            "action": action,
            **{k: v for k, v in extra.items() if v is not None},
        }

    def _recorder(self, document: dict[str, Any]) -> dict[str, str]:
        return {"id": self.voc.org(document["org"])}

    def _observed(
        self, step: str, disposition: str | None
    ) -> Callable[[dict[str, Any], LotFacts], dict[str, Any]]:
        def build(document: dict[str, Any], lot: LotFacts) -> dict[str, Any]:
            return self._object(
                lot,
                bizStep=step,
                disposition=disposition,
                readPoint=self._recorder(document),
            )

        return build

    def _custom(self, local: str) -> Callable[[dict[str, Any], LotFacts], dict[str, Any]]:
        """Steps CBV 2.0 has no word for: a business step URI in SenTrace's namespace, and
        the document's public facts as an extension member."""

        def build(document: dict[str, Any], lot: LotFacts) -> dict[str, Any]:
            event = self._object(
                lot, bizStep=self.voc.biz_step(local), readPoint=self._recorder(document)
            )
            facts = _public(document.get("data") or {})
            if facts:
                event[self.voc.term(_camel(local))] = facts
            return event

        return build

    # ------------------------------------------------------------------- by type

    def _harvest(self, document: dict[str, Any], lot: LotFacts) -> dict[str, Any]:
        facts = document.get("lot_facts") or {}
        data = document.get("data") or {}
        farm = facts.get("farm") or {}
        farm_code = farm.get("code") or data.get("farm")
        ilmd: dict[str, Any] = {
            self.voc.term("harvestDate"): _local_date(document["occurred_at"]),
            self.voc.term("product"): data.get("product") or facts.get("product", {}).get("code"),
        }
        if farm_code:
            ilmd[self.voc.term("farm")] = farm_code
        if farm.get("growing_area_code"):
            ilmd[self.voc.term("growingAreaCode")] = farm["growing_area_code"]
        for key, label in (("commune", "commune"), ("province", "province")):
            if isinstance(farm.get(key), str):
                ilmd[self.voc.term(label)] = farm[key]
        place = {"id": self.voc.farm(farm_code)} if farm_code else None
        event: dict[str, Any] = {
            "type": "ObjectEvent",
            "quantityList": [self._quantity(lot.code, lot, data.get("quantity"))],
            "action": "ADD",
            "bizStep": "commissioning",
            "disposition": "active",
        }
        if place:
            event.update(readPoint=place, bizLocation=dict(place))
        event["ilmd"] = {k: v for k, v in ilmd.items() if v is not None}
        certificates = [
            self.voc.certificate(str(c.get("scheme", "")), str(c.get("number", "")))
            for c in farm.get("certifications") or []
            if isinstance(c, dict) and c.get("scheme") and c.get("number")
        ]
        if certificates:
            event["certificationInfo"] = certificates
        return event

    def _shipping(self, document: dict[str, Any], lot: LotFacts) -> dict[str, Any]:
        data = document.get("data") or {}
        event = self._object(
            lot, bizStep="shipping", disposition="in_transit", readPoint=self._recorder(document)
        )
        receiver = data.get("to")
        slug = receiver.get("org") if isinstance(receiver, dict) else receiver
        if isinstance(slug, str):
            event["destinationList"] = [{"type": "owning_party", "destination": self.voc.org(slug)}]
        return event

    def _recall(self, document: dict[str, Any], lot: LotFacts) -> dict[str, Any]:
        event = self._object(lot, disposition="recalled", readPoint=self._recorder(document))
        reason = (document.get("data") or {}).get("reason")
        if isinstance(reason, str):
            event[self.voc.term("recallReason")] = reason
        return event

    def _quality_check(self, document: dict[str, Any], lot: LotFacts) -> dict[str, Any]:
        event = self._custom("quality_check")(document, lot)
        result = (document.get("data") or {}).get("result")
        if result in ("pass", "fail"):
            event["disposition"] = "conformant" if result == "pass" else "non_conformant"
        return event

    def _transformation(
        self,
        document: dict[str, Any],
        inputs: list[dict[str, Any]],
        outputs: list[dict[str, Any]],
        step: str,
    ) -> dict[str, Any]:
        return {
            "type": "TransformationEvent",
            "inputQuantityList": inputs,
            "outputQuantityList": outputs,
            "bizStep": self.voc.biz_step(step),
            "readPoint": self._recorder(document),
        }

    def _split(self, document: dict[str, Any], lot: LotFacts) -> dict[str, Any]:
        data = document.get("data") or {}
        if isinstance(data.get("children"), list):  # the parent's record of the split
            outputs = [self._quantity(c["code"], lot, c["quantity"]) for c in data["children"]]
            total = sum((Decimal(c["quantity"]) for c in data["children"]), Decimal(0))
            inputs = [self._quantity(lot.code, lot, total)]
        else:  # a child's record of the split that made it
            amount = data.get("quantity")
            inputs = [self._quantity(str(data.get("parent")), lot, amount)]
            outputs = [self._quantity(lot.code, lot, amount)]
        return self._transformation(document, inputs, outputs, "split")

    def _merge(self, document: dict[str, Any], lot: LotFacts) -> dict[str, Any]:
        data = document.get("data") or {}
        if isinstance(data.get("sources"), list):  # the merged lot's record
            inputs = [self._quantity(s["code"], lot, s["quantity"]) for s in data["sources"]]
            total = sum((Decimal(s["quantity"]) for s in data["sources"]), Decimal(0))
            outputs = [self._quantity(lot.code, lot, total)]
        else:  # a source lot's record of going into the merge
            amount = data.get("quantity")
            inputs = [self._quantity(lot.code, lot, amount)]
            outputs = [self._quantity(str(data.get("into")), lot, amount)]
        return self._transformation(document, inputs, outputs, "merge")

    def _processing(self, document: dict[str, Any], lot: LotFacts) -> dict[str, Any]:
        data = document.get("data") or {}
        inputs = [self._quantity(lot.code, lot, data.get("quantity_in"))]
        outputs = [self._quantity(lot.code, lot, data.get("quantity_out"))]
        return self._transformation(document, inputs, outputs, "processing")


def _public(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` without committed (private) values and without the season diary (its own
    signed documents travel in the proof, not as EPCIS fields); keys in camelCase."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key == "season_diary" or (isinstance(value, dict) and "commitment" in value):
            continue
        out[f"{PREFIX_TERM}{_camel(key)}"] = value
    return out


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _local_date(stamp: str) -> str:
    """The calendar date in Đồng Tháp of an RFC 3339 UTC time."""
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")) + timedelta(hours=7)
    return moment.date().isoformat()
