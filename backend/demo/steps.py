"""The steps a demo journey is made of, and the one walk that plays them through the services.

A journey is data: a lot code and a tuple of small frozen steps (harvest, event, transfer and
the receiver's receipt or refusal, split, serials, recall). :func:`walk` applies them in order
to one lot; a :class:`Split` may hand the walk on to one of its children, so a journey follows
the produce down to the pallet that reaches the shop. Every step goes through the same
services as the API and the operator app, so the demo obeys every rule real data does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Protocol

from sqlmodel import Session, select

from backend.db import session_scope
from backend.demo.signing import register_demo_keys, write_signed
from backend.http.signed_writes import chain_facts
from backend.models import EventType, Lot, Organisation, OrgRole
from backend.runtime import Runtime
from backend.services.labels import printing
from backend.services.ledger import custody, events, lots, recall, shipments, split_merge
from backend.services.ledger.queries import get_lot_by_code
from backend.timeutil import VIETNAM_TZ, as_utc, in_vietnam, utcnow

#: When a step happened: (days ago, hour of the day in Đồng Tháp).
When = tuple[float, int]


@dataclass
class Scene:
    """What a step needs: the session, the organisations by slug, settings, and a clock."""

    session: Session
    orgs: dict[str, Organisation]
    runtime: Runtime
    now: datetime

    def at(self, when: When) -> datetime:
        """``when`` as an instant, never later than ten minutes ago (events cannot be future)."""
        days_ago, hour = when
        local_day = in_vietnam(self.now - timedelta(days=days_ago)).date()
        local = datetime.combine(local_day, time(hour=hour), tzinfo=VIETNAM_TZ)
        return min(as_utc(local), self.now - timedelta(minutes=10))

    def write(self, lot: str, org: str, when: When) -> dict[str, Any]:
        """What every ledger write of a step shares: which lot, by whom, when, which settings."""
        return {
            "lot_code": lot,
            "org": self.orgs[org],
            "occurred_at": self.at(when),
            "settings": self.runtime.settings,
        }

    def lot(self, code: str) -> Lot:
        """The lot a step needs as a row; the walk created it, so its absence is a bug."""
        found = get_lot_by_code(self.session, code)
        assert found is not None, code
        return found


class Step(Protocol):
    """One thing that happens to the lot a journey follows."""

    def apply(self, scene: Scene, lot: str) -> str:
        """Do it to ``lot`` and return the code of the lot the journey follows next."""
        ...


@dataclass(frozen=True)
class Harvest:
    """The journey's lot comes into being, held by the cooperative that harvested it."""

    org: str
    product: str
    farm: str
    quantity: str
    unit: str
    at: When

    def apply(self, scene: Scene, lot: str) -> str:
        lots.create_harvest_lot(
            scene.session,
            org=scene.orgs[self.org],
            settings=scene.runtime.settings,
            code=lot,
            product_code=self.product,
            farm_code=self.farm,
            quantity=self.quantity,
            unit=self.unit,
            harvested_at=scene.at(self.at),
        )
        return lot


@dataclass(frozen=True)
class Record:
    """An observation by the lot's holder: an input, a check, receiving, packing, shipping."""

    org: str
    kind: EventType
    at: When
    data: Mapping[str, Any] = field(default_factory=dict)

    def apply(self, scene: Scene, lot: str) -> str:
        events.add_lot_event(
            scene.session,
            event_type=self.kind.value,
            location=None,
            data=dict(self.data),
            **scene.write(lot, self.org, self.at),
        )
        return lot


@dataclass(frozen=True)
class Transfer:
    """The holder sends the lot to another organisation (in transit until it answers)."""

    org: str
    to: str
    at: When
    note: str

    def apply(self, scene: Scene, lot: str) -> str:
        custody.transfer_lot(
            scene.session, to_slug=self.to, note=self.note, **scene.write(lot, self.org, self.at)
        )
        return lot


@dataclass(frozen=True)
class Receive:
    """The organisation a transfer named receives the lot: from now on it holds it."""

    org: str
    at: When
    note: str = ""

    def apply(self, scene: Scene, lot: str) -> str:
        shipments.receive_lot(
            scene.session, note=self.note or None, **scene.write(lot, self.org, self.at)
        )
        return lot


@dataclass(frozen=True)
class Refuse:
    """The organisation a transfer named refuses the lot, saying why; the sender keeps it."""

    org: str
    at: When
    reason: str

    def apply(self, scene: Scene, lot: str) -> str:
        shipments.refuse_lot(
            scene.session, reason=self.reason, **scene.write(lot, self.org, self.at)
        )
        return lot


@dataclass(frozen=True)
class Split:
    """The lot becomes children coded ``<lot><suffix>``; the journey follows ``follow``."""

    org: str
    parts: tuple[tuple[str, str], ...]  # (code suffix, quantity)
    at: When
    follow: str

    def apply(self, scene: Scene, lot: str) -> str:
        children = [{"code": lot + suffix, "quantity": qty} for suffix, qty in self.parts]
        split_merge.split_lot(
            scene.session, children=children, **scene.write(lot, self.org, self.at)
        )
        return lot + self.follow


@dataclass(frozen=True)
class Serials:
    """Serialised labels printed for the lot, for consumers to scan."""

    org: str
    count: int

    def apply(self, scene: Scene, lot: str) -> str:
        printing.allocate_serials(
            scene.session, lot=scene.lot(lot), org=scene.orgs[self.org], count=self.count
        )
        return lot


@dataclass(frozen=True)
class Recall:
    """The quality office recalls the lot, with the reason consumers are shown."""

    org: str
    at: When
    reason: str

    def apply(self, scene: Scene, lot: str) -> str:
        recall.recall_lot(scene.session, reason=self.reason, **scene.write(lot, self.org, self.at))
        return lot


@dataclass(frozen=True)
class Journey:
    """A lot's whole story: its code and the steps that happen to it, in order."""

    code: str
    steps: tuple[Step, ...]


def walk(scene: Scene, journey: Journey) -> None:
    """Apply each step to the lot the journey follows at that point."""
    lot = journey.code
    for step in journey.steps:
        lot = step.apply(scene, lot)


def record_journeys(runtime: Runtime, journeys: tuple[Journey, ...]) -> int:
    """Walk each journey in its own transaction, skipping lots already there; count the new.

    Every statement is signed with the demo organisations' own client-held keys
    (``backend.demo.signing``), never by the server."""
    made = 0
    chain = chain_facts(runtime)
    for journey in journeys:
        with session_scope(runtime.engine) as session:
            if get_lot_by_code(session, journey.code) is not None:
                continue
            orgs = [o for o in session.exec(select(Organisation)) if o.role is not OrgRole.ADMIN]
            keys = register_demo_keys(session, runtime.settings.data_dir, orgs)
            session.commit()  # the keys stay registered whatever the journey does
            now = utcnow()

            def play(
                session: Session = session, journey: Journey = journey, now: datetime = now
            ) -> None:
                by_slug = {o.slug: o for o in session.exec(select(Organisation))}
                walk(Scene(session=session, orgs=by_slug, runtime=runtime, now=now), journey)

            write_signed(session, play, keys=keys, chain=chain)
            made += 1
    return made
