"""One edit behind the application's back, for the tamper property test: every column a
consumer can be shown, written the way someone with the database's password would.

Each edit takes the ledger and a number hypothesis drew (which row, taken modulo) and returns a
:class:`Tamper` saying what it wrote and what must follow, or None when the ledger has no row
it could touch (no split, say). What it writes carries a marker (``GIẢ-<n>``, a date or a
number no honest record here contains) wherever it writes text, a date or a number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import update
from sqlmodel import col

from backend.i18n import translator
from backend.models import Event, Farm, Lot, Organisation, Product
from backend.services.anchoring.heads.proofs import ROOT_VERSIONS
from backend.services.anchoring.heads.store import NODE_CACHE
from tests.security.tamper_world import DECOY_FARM, DECOY_PRODUCT, FARM, PRODUCT, Ledger


@dataclass(frozen=True)
class Tamper:
    """What an edit wrote and what must follow from it.

    ``markers`` show the written value wherever they appear. ``broken`` lots must read
    ``tampered`` (the lots split from a broken one are listed too: their pages show its
    record). ``reshaped`` lots had their not-yet-anchored tail changed (an event added, removed
    or rewritten that no batch holds), which the rules cannot tell from a write not anchored
    yet: they may read ``pending`` with the change shown as pending, or ``verified`` once a
    pending event is gone. Every other lot must read and look exactly as before.
    """

    edit: str
    detail: str
    markers: tuple[str, ...] = ()
    broken: frozenset[str] = frozenset()
    reshaped: frozenset[str] = frozenset()
    links: tuple[str, ...] = ()  # further links that must not answer "verified"


Edit = Callable[[Ledger, int], Tamper | None]


def registrar(table: dict[str, Edit]) -> Callable[[str], Callable[[Edit], Edit]]:
    """A decorator that files an edit in ``table`` under a name."""

    def named(name: str) -> Callable[[Edit], Edit]:
        def register(function: Edit) -> Edit:
            table[name] = function
            return function

        return register

    return named


#: The edits of this module, by name.
FACT_EDITS: dict[str, Edit] = {}
edit = registrar(FACT_EDITS)


def write(ledger: Ledger, statement: Any) -> int:
    """Run one statement, then forget what this process remembers of committed heads-map
    reads, as a restarted server would (an edit made while it runs is read after a restart).
    Returns the number of rows changed."""
    with ledger.runtime.engine.begin() as connection:
        changed = int(connection.execute(statement).rowcount)
    ROOT_VERSIONS.clear()
    NODE_CACHE.clear()
    return changed


def _labels(key: str) -> tuple[str, ...]:
    return tuple(translator(lang)(key) for lang in ("vi", "en"))


# ------------------------------------------------------------------ facts kept in other rows


def _column_edit(name: str, model: Any, column: str, value: Any, *markers: str) -> None:
    """A column of the product or farm the lots come from (``xoai``, ``F-01``)."""
    code = PRODUCT["code"] if model is Product else FARM["code"]

    @edit(name)
    def change(ledger: Ledger, pick: int) -> Tamper:
        write(ledger, update(model).where(col(model.code) == code).values({column: value}))
        return Tamper(name, f"{model.__tablename__}.{column} = {value!r}", markers or (value,))


_column_edit("product.name_vi", Product, "name_vi", "Xoài GIẢ-1")
_column_edit("product.name_en", Product, "name_en", "Mango GIẢ-2")
_column_edit("farm.name", Farm, "name", "Vườn GIẢ-3")
_column_edit("farm.commune", Farm, "commune", "Xã GIẢ-4")
_column_edit("farm.province", Farm, "province", "Tỉnh GIẢ-5")
_column_edit("farm.growing_area_code", Farm, "growing_area_code", "VN-GIẢ-6")
_column_edit(
    "farm.certifications",
    Farm,
    "certifications",
    [{"scheme": "GlobalGAP GIẢ-7", "number": "X", "valid_until": "2039-01-01"}],
    "GIẢ-7",
)


def _gtin_edit(name: str, *, links: bool) -> None:
    """Another GTIN for the product; with ``links``, a label printed with it is scanned too:
    its Digital Link must not be answered as the lot's own."""

    @edit(name)
    def change(ledger: Ledger, pick: int) -> Tamper:
        forged = "08939999999991"
        product = update(Product).where(col(Product.code) == PRODUCT["code"])
        write(ledger, product.values(gtin=forged))
        scanned = tuple(f"/01/{forged}/10/{code}" for code in ledger.codes) if links else ()
        return Tamper(name, f"product.gtin = {forged}", (forged,), links=scanned)


_gtin_edit("product.gtin", links=False)
_gtin_edit("product.gtin.link", links=True)


def _organisation_edit(name: str, *, receivers: bool) -> None:
    """An organisation renamed: one that only records events, or one a transfer names."""

    @edit(name)
    def change(ledger: Ledger, pick: int) -> Tamper | None:
        slugs = sorted(s for s in ("htx", "dg", "ql") if (s in ledger.receivers) == receivers)
        if not slugs:
            return None
        slug = slugs[pick % len(slugs)]
        statement = update(Organisation).where(col(Organisation.slug) == slug)
        write(ledger, statement.values(name="GIẢ-9"))
        return Tamper(name, f"organisation {slug}.name", ("GIẢ-9",))


_organisation_edit("organisation.name", receivers=False)
_organisation_edit("organisation.name.receiver", receivers=True)


def _lot_edit(name: str, values: dict[str, Any], *markers: str) -> None:
    @edit(name)
    def change(ledger: Ledger, pick: int) -> Tamper:
        code = ledger.codes[pick % len(ledger.codes)]
        write(ledger, update(Lot).where(col(Lot.code) == code).values(values))
        return Tamper(name, f"lot {code}: {values}", markers)


_lot_edit("lot.quantity", {"quantity": "7351.97"}, "7351.97")
_lot_edit("lot.unit", {"unit": "tạ GIẢ11"}, "GIẢ11")
_lot_edit(
    "lot.harvested_at",
    {"harvested_at": datetime(2031, 7, 19, 3, 4, 5, tzinfo=UTC)},
    "19/07/2031",
    "2031-07-19",
)
_lot_edit("lot.recall_reason", {"recall_reason": "Lý do GIẢ-13"}, "GIẢ-13")
_lot_edit(
    "lot.recall_forged",
    {"recalled_at": datetime(2026, 6, 1, tzinfo=UTC), "recall_reason": "Thu hồi GIẢ-14"},
    "GIẢ-14",
)


def _decoy_edit(name: str, model: type[Farm] | type[Product], decoy: str, *markers: str) -> None:
    """The lot row pointed at a farm or product it does not come from."""
    column = f"{model.__tablename__}_id"

    @edit(name)
    def change(ledger: Ledger, pick: int) -> Tamper:
        code = ledger.codes[pick % len(ledger.codes)]
        row = ledger.ids(model, "code")[decoy]
        write(ledger, update(Lot).where(col(Lot.code) == code).values({column: row}))
        return Tamper(name, f"lot {code}: {column} = {row} ({decoy})", markers)


_decoy_edit("lot.farm_id", Farm, DECOY_FARM["code"], "GIẢ-10")
_decoy_edit("lot.product_id", Product, DECOY_PRODUCT["code"], "GIẢ-12", DECOY_PRODUCT["gtin"])


@edit("lot.recall_cleared")
def recall_cleared(ledger: Ledger, pick: int) -> Tamper | None:
    """A recall hidden from the row (the chain still knows it)."""
    if not ledger.recalled:
        return None
    code = sorted(ledger.recalled)[pick % len(ledger.recalled)]
    write(ledger, update(Lot).where(col(Lot.code) == code).values(recalled_at=None))
    return Tamper("lot.recall_cleared", f"lot {code}: recalled_at = NULL")


# ------------------------------------------------------------------------- event columns


def pick_event(ledger: Ledger, pick: int) -> tuple[Event, str]:
    """One of the ledger's events (any lot, any position, anchored or not) and its lot."""
    rows = ledger.events()
    return rows[pick % len(rows)]


def _event_edit(name: str, values: dict[str, Any], *markers: str) -> None:
    """Columns beside the stored document: indexes under rules v2, never shown."""

    @edit(name)
    def change(ledger: Ledger, pick: int) -> Tamper:
        event, code = pick_event(ledger, pick)
        write(ledger, update(Event).where(col(Event.id) == event.id).values(values))
        return Tamper(name, f"event {event.type} #{event.lot_seq} of {code}: {values}", markers)


_event_edit("event.data", {"data": {"text": "Phun thuốc GIẢ-16"}}, "GIẢ-16")
_event_edit("event.location", {"location": {"commune": "Xã GIẢ-17"}}, "GIẢ-17")
_event_edit(
    "event.occurred_at",
    {"occurred_at": datetime(2031, 8, 21, 9, 10, 11, tzinfo=UTC)},
    "21/08/2031",
    "2031-08-21",
)
_event_edit(
    "event.type", {"type": "retail"}, '"type": "retail"', *_labels("consumer.event_type.retail")
)
_event_edit("event.lot_seq", {"lot_seq": 77})
_event_edit("event.prev_hash", {"prev_hash": "0x" + "5e" * 32})


@edit("event.org_id")
def event_org(ledger: Ledger, pick: int) -> Tamper:
    """The event's recorder column pointed at the organisation no record names."""
    event, code = pick_event(ledger, pick)
    stranger = ledger.ids(Organisation, "slug")["kx"]
    write(ledger, update(Event).where(col(Event.id) == event.id).values(org_id=stranger))
    return Tamper("event.org_id", f"event {event.type} of {code}: org_id = kx", ("GIẢ-0",))


@edit("event.queue_order")
def queue_order(ledger: Ledger, pick: int) -> Tamper | None:
    """Two events of one lot swap their places in the anchoring queue (``seq``, the row id)."""
    rows = ledger.events()
    pairs = [(a, b) for a, b in pairwise(rows) if a[1] == b[1]]
    if not pairs:
        return None
    (first, code), (second, _) = pairs[pick % len(pairs)]
    spare = 10_000_000
    for source, target in ((first.seq, spare), (second.seq, first.seq), (spare, second.seq)):
        write(ledger, update(Event).where(col(Event.seq) == source).values(seq=target))
    return Tamper("event.queue_order", f"events #{first.lot_seq}, #{second.lot_seq} of {code}")


@edit("event.lot_id")
def moved(ledger: Ledger, pick: int) -> Tamper | None:
    """An event moved to another lot."""
    if len(ledger.codes) < 2:
        return None
    event, code = pick_event(ledger, pick)
    others = [c for c in ledger.codes if c != code]
    target = others[pick % len(others)]
    lot_id = ledger.ids(Lot, "code")[target]
    write(
        ledger, update(Event).where(col(Event.id) == event.id).values(lot_id=lot_id, lot_seq=None)
    )
    anchored = ledger.anchored(event)
    return Tamper(
        "event.lot_id",
        f"{event.type} #{event.lot_seq} of {code} → {target} (anchored: {anchored})",
        broken=ledger.below({target, code} if anchored else {target}),
        reshaped=frozenset() if anchored else ledger.below({code}),
    )
