"""The ancestry block of the lot page: the lots a lot came from, nearest first, each with how
its child came from it (split or merge) and whether it is the harvest lot.

Under rules v2 ancestry is proven by documents, not by the link table (docs/proof-rules.md
§3.3): a derived lot's first document names each parent lot and the hash of the parent's event
that made it, and that event's document says whether it was a split or a merge. So a v2 lot's
ancestry is walked through those documents, as the verification engine checked them; a link row
edited or added beside them changes nothing shown. A lot recorded under rules v1 has no such
documents, and its ancestry is read from the links as it always was.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel import Session, col, select

from backend.models import LinkKind, LotLink
from backend.services.verification.chain_of_events import first_document
from backend.services.verification.lineage import Lineage
from backend.services.verification.proven_facts import follows_rules_v2
from backend.services.verification.results import EventCheck, LotCheck, Verification
from backend.web.consumer.views import AncestorView

#: The ways a child comes from a parent, as the page's texts name them.
KINDS = frozenset(str(kind) for kind in LinkKind)

#: A lot's parents as (code, kind); None when they cannot be told (no readable first document).
Parents = list[tuple[str, str]] | None


def lot_ancestry(
    session: Session, lineage: Lineage, verification: Verification
) -> tuple[AncestorView, ...]:
    """The lots above this one, nearest first: from the documents for a rules-v2 lot, from the
    links for a v1 lot (one query, and only when a v1 lot's parents are asked for)."""
    if not _is_v2(verification.lot):
        return _from_links(session, lineage)
    return _from_documents(session, lineage, verification)


def _is_v2(check: LotCheck) -> bool:
    return follows_rules_v2(event_check.event for event_check in check.events)


def _from_documents(
    session: Session, lineage: Lineage, verification: Verification
) -> tuple[AncestorView, ...]:
    """Walk the parents the first documents name, generation by generation, each lot once.

    A parent the lineage lacks (its link deleted) is still named, from the child's document;
    the verification already reads ``tampered`` for it. A lot of the line recorded under v1
    (possible only above the first v2 lot) gives its parents from the links.
    """
    checks = {check.lot.code: check for check in (verification.lot, *verification.ancestors)}
    links: _Links | None = None

    def parents_of(code: str) -> Parents:
        nonlocal links
        check = checks.get(code)
        if check is None:
            return None
        if _is_v2(check):
            return _document_parents(check, checks)
        if links is None:
            links = _Links(session, lineage)
        return links.parents_of(code)

    start = verification.lot.lot.code
    seen: set[str] = {start}
    found: list[tuple[str, str]] = []
    frontier = [start]
    while frontier:
        generation: list[str] = []
        for code in frontier:
            for parent, kind in parents_of(code) or ():
                if parent not in seen:
                    seen.add(parent)
                    found.append((parent, kind))
                    generation.append(parent)
        frontier = generation
    return tuple(
        AncestorView(code=code, kind=kind, is_harvest=parents_of(code) == [])
        for code, kind in found
    )


def _document_parents(check: LotCheck, checks: Mapping[str, LotCheck]) -> Parents:
    """The parents a v2 lot's first document names, each with the type of the parent event it
    names by hash (the child's own first document's type when that event is not at hand)."""
    first = first_document(check.events)
    if first is None:
        return None
    named: Sequence[dict[str, Any]] = first.get("parents") or ()
    parents: list[tuple[str, str]] = []
    for parent in named:
        code, event_hash = parent["lot"], str(parent["event_hash"]).lower()
        parent_check = checks.get(code)
        event = _event_with_hash(parent_check.events, event_hash) if parent_check else None
        stated = None if event is None else _stated_type(event)
        kind = next((k for k in (stated, first["type"]) if k in KINDS), str(LinkKind.SPLIT))
        parents.append((code, kind))
    return parents


def _event_with_hash(events: Sequence[EventCheck], event_hash: str) -> EventCheck | None:
    """The checked event whose recomputed hash is ``event_hash`` (never the stored column)."""
    return next((e for e in events if (e.computed_hash or "").lower() == event_hash), None)


def _stated_type(check: EventCheck) -> str:
    """The type under the event's hash: its v2 document's, or the v1 column the hash covers."""
    return str(check.document["type"]) if check.document is not None else str(check.event.type)


class _Links:
    """The link rows of the lineage's lots, read once, answering a v1 lot's parents."""

    def __init__(self, session: Session, lineage: Lineage) -> None:
        self.codes = {record.lot.id: record.lot.code for record in lineage.records}
        self.links = _links(session, lineage)

    def parents_of(self, code: str) -> Parents:
        return [
            (self.codes[link.parent_id], str(link.kind))
            for link in self.links
            if self.codes.get(link.child_id) == code and link.parent_id in self.codes
        ]


def _links(session: Session, lineage: Lineage) -> Sequence[LotLink]:
    ids = [record.lot.id for record in lineage.records]
    return session.exec(select(LotLink).where(col(LotLink.child_id).in_(ids))).all()


def _from_links(session: Session, lineage: Lineage) -> tuple[AncestorView, ...]:
    """Rules v1: the lineage's ancestors with the kind and harvest flag the links give."""
    if not lineage.ancestors:
        return ()
    links = _links(session, lineage)
    kind_of_parent: dict[int | None, str] = {link.parent_id: str(link.kind) for link in links}
    has_parents: set[int | None] = {link.child_id for link in links}
    return tuple(
        AncestorView(
            code=record.lot.code,
            kind=kind_of_parent.get(record.lot.id, "split"),
            is_harvest=record.lot.id not in has_parents,
        )
        for record in lineage.ancestors
    )
