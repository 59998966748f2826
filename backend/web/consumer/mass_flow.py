"""The lot page's one-line mass balance: how many kilograms harvested went into this lot, and how
many the lot holds after its own declared processing losses ("1000 kg thu hoạch → 340 kg").

Every figure comes from a verified rules-v2 document, never from a quantity column: a lot's
quantity and unit from its first document's ``lot_facts``, what a split child or a merged lot
took from each parent from its first document, the parent event that made it by the hash that
document names, and processing losses from each ``processing`` document's declared ``loss``. A
parent's history is replayed in ``seq`` order up to the event that made the child, so harvest
kilograms follow the mass: a child that took 400 of a parent's 1000 kg takes 40 % of what the
parent was harvested from, however the parent was processed before or split after. A line with
a document missing or tampered, or weighed in anything but kg or t, shows no summary at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from backend.services.verification.results import LotCheck, Verification
from backend.services.verification.verdicts import Verdict

#: Kilograms per unit a summary may be given in.
KG_PER_UNIT = {"kg": Decimal(1), "t": Decimal(1000)}
_PLACES = Decimal("0.001")


class _Unknown(Exception):
    """A figure the documents do not state (or not in kg or t): no summary."""


def kg_in_out(verification: Verification) -> tuple[str, str] | None:
    """``(harvested kg into the lot, kg the lot holds)`` as plain decimal strings; None when
    the documents cannot say, or when the lot is a harvest lot nothing was processed out of."""
    line = _Line(verification)
    try:
        code = verification.lot.lot.code
        went_in = line.harvested(code)
        came_out = line.held(code)
    except _Unknown:
        return None
    if went_in == came_out and not line.parents(code):
        return None
    return _plain(went_in), _plain(came_out)


class _Line:
    """The lot and its ancestors' verified documents, by lot code, in ``seq`` order."""

    def __init__(self, verification: Verification) -> None:
        self._checks = {c.lot.code: c for c in (verification.lot, *verification.ancestors)}
        self._harvested: dict[str, Decimal] = {}

    def documents(self, code: str) -> list[tuple[str, Mapping[str, Any]]]:
        check: LotCheck | None = self._checks.get(code)
        if check is None:
            raise _Unknown(code)
        found = []
        for event in check.events:
            if event.document is None or event.finding.verdict is Verdict.TAMPERED:
                raise _Unknown(code)
            found.append((str(event.computed_hash or "").lower(), event.document))
        found.sort(key=lambda pair: int(pair[1]["seq"]))
        if not found or found[0][1]["seq"] != 1:
            raise _Unknown(code)
        return found

    def facts(self, code: str) -> tuple[Mapping[str, Any], Decimal]:
        """The first document and the kilograms per unit of the lot's unit."""
        first = self.documents(code)[0][1]
        facts = first.get("lot_facts") or {}
        per_unit = KG_PER_UNIT.get(str(facts.get("unit")))
        if per_unit is None:
            raise _Unknown(code)
        return first, per_unit

    def parents(self, code: str) -> list[Mapping[str, Any]]:
        first, _ = self.facts(code)
        return list(first.get("parents") or ())

    def stated(self, code: str) -> Decimal:
        first, per_unit = self.facts(code)
        return _amount(first["lot_facts"].get("quantity")) * per_unit

    def held(self, code: str) -> Decimal:
        """The lot's stated kilograms less the losses its own processing declared."""
        _, per_unit = self.facts(code)
        losses = sum(
            (_amount(d["data"].get("loss")) * per_unit for _, d in self.documents(code)[1:]
             if d["type"] == "processing" and "loss" in d["data"]),
            Decimal(0),
        )  # fmt: skip
        return self.stated(code) - losses

    def harvested(self, code: str) -> Decimal:
        """Harvest kilograms the whole lot ``code`` stands for, as it was recorded."""
        if code in self._harvested:
            return self._harvested[code]
        first, per_unit = self.facts(code)
        parents = self.parents(code)
        if not parents:
            total = self.stated(code)
        else:
            taken = _taken(first)
            total = Decimal(0)
            for parent in parents:
                lot, made_by = str(parent["lot"]), str(parent["event_hash"]).lower()
                amount = _amount(taken.get(lot)) * per_unit
                total += self._share(lot, made_by, amount)
        self._harvested[code] = total
        return total

    def _share(self, parent: str, made_by: str, taken: Decimal) -> Decimal:
        """Harvest kilograms in ``taken`` kg leaving ``parent`` by its event ``made_by``:
        the parent's history replayed (losses shrink the mass, earlier splits take their
        share of both) up to that event."""
        _, per_unit = self.facts(parent)
        mass, harvest = self.stated(parent), self.harvested(parent)
        for event_hash, document in self.documents(parent)[1:]:
            if mass <= 0:
                raise _Unknown(parent)
            if event_hash == made_by:
                return harvest * taken / mass
            data = document["data"]
            if document["type"] == "processing" and "loss" in data:
                mass -= _amount(data["loss"]) * per_unit
            elif document["type"] == "split":
                for child in data.get("children") or ():
                    moved = _amount(child.get("quantity")) * per_unit
                    harvest -= harvest * moved / mass
                    mass -= moved
        raise _Unknown(parent)  # the event that made the child is not in the parent's line


def _taken(first: Mapping[str, Any]) -> dict[str, Any]:
    """What the first document says the lot took from each parent (as proven_facts reads it)."""
    data = first["data"]
    sources = data.get("sources")
    if isinstance(sources, list):
        return {s.get("code"): s.get("quantity") for s in sources if isinstance(s, dict)}
    return {data.get("parent"): data.get("quantity")}


def _amount(value: Any) -> Decimal:
    if not isinstance(value, str | int):
        raise _Unknown(str(value))
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise _Unknown(str(value)) from None
    if not amount.is_finite() or amount < 0:
        raise _Unknown(str(value))
    return amount


def _plain(value: Decimal) -> str:
    """At most three places, no trailing zeros, never an exponent."""
    text = format(value.quantize(_PLACES), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
