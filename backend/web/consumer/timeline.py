"""The journey block of the page: one entry per event of the lot and of the lots it came
from, oldest first, each with who, where, what it recorded and its verdict.

A rules-v2 entry is drawn from its verified document alone. Private values sit there as
commitments (``{"commitment": ...}``, docs/proof-rules.md section 4) and are never shown: an
exact point gives way to the farm's commune and province, which the lot's first document states
in the open."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from backend.hashing import org_ref_name
from backend.i18n import Translator
from backend.models import EventType
from backend.services.ledger.transit import open_transfer
from backend.services.verification.chain_of_events import first_document
from backend.services.verification.lineage import Lineage
from backend.services.verification.proven_facts import proven_org_names, stated_time
from backend.services.verification.results import EventCheck, Verification
from backend.services.verification.verdicts import Verdict
from backend.timeutil import rfc3339_z
from backend.web.consumer.quantities import processing_lines
from backend.web.consumer.season_diary import diary_lines
from backend.web.consumer.views import EventView

_FREE_TEXT_KEYS = ("text", "note", "notes", "description")
_PLACE_KEYS = ("name", "address", "commune", "province")


def timeline(
    verification: Verification, lineage: Lineage, lang: str, t: Translator, unit: str
) -> tuple[EventView, ...]:
    """Every checked event of the lot and its ancestors, by time, then ancestors first."""
    checks = [
        check
        for lot_check in (verification.lot, *verification.ancestors)
        for check in lot_check.events
    ]
    # Ties in stated time: a parent's split or merge made the child, so it comes before the
    # child's first event (which states the same time); within a lot, the lot's own order: its
    # document seq for v2 (the queue's row number is a column anyone can edit), the order of
    # recording for v1. A lot's seq says nothing about another lot's, hence the generations.
    generation = _generations(verification)
    checks.sort(
        key=lambda check: (
            stated_time(check),
            -generation.get(check.lot_code, 0),
            _order(check),
            check.lot_code,
        )
    )
    names = _Names(
        rows={org.slug: org.name for org in lineage.orgs.values()},
        documents=proven_org_names(verification),
    )
    return tuple(event_view(check, lineage, lang, t, names, unit) for check in checks)


def in_transit_to(verification: Verification, lineage: Lineage) -> str | None:
    """The receiver's name while the lot's verified record shows a shipment still waiting for
    it (``services.ledger.transit``); ``None`` otherwise. Rules-v2 events are read from their
    documents; a v1 event from its row, named by the organisation rows as its timeline is."""
    steps: list[tuple[str, Mapping[str, Any]]] = []
    for check in sorted(verification.lot.events, key=_order):
        document = check.document
        if document is not None:
            steps.append((document["type"], document["data"]))
        else:
            steps.append((str(check.event.type), check.event.data or {}))
    waiting = open_transfer(steps)
    if waiting is None:
        return None
    names = {org.slug: org.name for org in lineage.orgs.values()}
    return org_name(waiting.get("to"), names) or ""


@dataclass(frozen=True)
class _Names:
    """Organisation names by slug, for a slug a record names without its name: from rows for
    a rules-v1 event (its hash never covered a name), from the documents for a v2 one (a
    transfer written before v2 documents named their receivers)."""

    rows: Mapping[str, str]
    documents: Mapping[str, str]


def event_view(
    check: EventCheck,
    lineage: Lineage,
    lang: str,
    t: Translator,
    names: _Names,
    unit: str,
) -> EventView:
    """One entry; a rules-v2 event is shown from the document its verdict rests on, never
    from the columns beside it (they are indexes, and nobody proved them)."""
    event, document = check.event, check.document
    if document is not None:
        event_type, actor = document["type"], document["org_name"]
        location, data = document["location"], document["data"]
        org_names = names.documents
    else:
        org = lineage.orgs.get(event.org_id)
        event_type, actor = str(event.type), org.name if org else None
        location, data = event.location, event.data or {}
        org_names = names.rows
    when = stated_time(check)
    place = place_text(location)
    if place is None and document is not None and event_type == EventType.HARVEST:
        place = _farm_place(document)
    return EventView(
        type=event_type,
        lot_code=check.lot_code,
        occurred_at=when,
        occurred_at_iso=rfc3339_z(when),
        type_label=t(f"consumer.event_type.{event_type}"),
        verdict_label=t(f"consumer.verdict.{check.verdict}"),
        actor=actor,
        place=place,
        details=event_details(event_type, data, t, org_names=org_names, unit=unit),
        verdict=str(check.verdict),
        reason=None if check.verdict is Verdict.VERIFIED else check.finding.text(lang),
        anchored_at=check.anchored_at,
        recorded_late=check.recorded_late,
        **signer_lines(check, t),
    )


def signer_lines(check: EventCheck, t: Translator) -> dict[str, str | None]:
    """Who signed the event and who holds that key, only as far as the chain confirms it: the
    name is the verified document's, the key is recovered from the signature, the custody is
    the registry's record (never a column)."""
    signer = check.signer
    if signer is None or not signer.confirmed or check.verdict is Verdict.TAMPERED:
        return {}
    signed_by = t("verification.signed_by", org_name=signer.org_name, signer=signer.short)
    if signer.custody == "custodial":
        custody: str | None = t("verification.signed_by_platform", org_name=signer.org_name)
    elif signer.custody in ("client", "browser"):
        custody = t("verification.key_held_by_org")
    else:
        custody = None
    return {"signed_by": signed_by, "custody": custody}


def verdict_details(
    verification: Verification, events: tuple[EventView, ...], lang: str, t: Translator
) -> tuple[str, ...]:
    """For a tampered lot, name the events that no longer match (or the batch problem)."""
    if verification.verdict is not Verdict.TAMPERED:
        return ()
    broken = [
        t(
            "consumer.tampered_event",
            type=t(f"consumer.event_type.{event.type}"),
            date=event.occurred_at_text,
            lot=event.lot_code,
        )
        for event in events
        if event.verdict == Verdict.TAMPERED
    ]
    return tuple(broken) or (verification.finding.text(lang),)


def place_text(location: Mapping[str, Any] | None) -> str | None:
    """A readable place: its name or address parts, else its coordinates, else nothing.

    Only plain text and numbers are shown: a member held as a commitment (a rules-v2
    document's exact ``point``, a name kept private) is an object and is left out."""
    if not isinstance(location, Mapping) or not location:
        return None
    parts = [str(location[key]) for key in _PLACE_KEYS if isinstance(location.get(key), str)]
    parts = [part for part in parts if part.strip()]
    if parts:
        return ", ".join(dict.fromkeys(parts))
    lat, lon = location.get("lat"), location.get("lon")
    if isinstance(lat, str | int) and isinstance(lon, str | int):
        return f"{lat}, {lon}"
    return None


def _farm_place(document: Mapping[str, Any]) -> str | None:
    """Where a rules-v2 harvest happened when its own location shows nothing (the farm's exact
    point is a commitment there): the commune and province of the farm that the same verified
    document states in ``lot_facts``, both public by rule (docs/proof-rules.md 3.2)."""
    farm = (document.get("lot_facts") or {}).get("farm")
    if not isinstance(farm, Mapping):
        return None
    return place_text({"commune": farm.get("commune"), "province": farm.get("province")})


def event_details(
    event_type: str,
    data: Mapping[str, Any],
    t: Translator,
    *,
    org_names: Mapping[str, str],
    unit: str = "",
) -> tuple[str, ...]:
    """A line or two saying what the event recorded, in the page's language."""
    lines: list[str] = []
    if event_type == EventType.INPUT_APPLICATION and "active_ingredient" in data:
        lines.append(
            t(
                "consumer.event_data.input",
                product=_shown(data.get("product")),
                ingredient=_shown(data.get("active_ingredient")),
                dose=_shown(data.get("dose")),
                unit=_shown(data.get("unit")),
                days=_shown(data.get("pre_harvest_interval_days")),
            )
        )
    elif event_type == EventType.QUALITY_CHECK and data.get("result") in ("pass", "fail"):
        lines.append(t(f"consumer.event_data.quality_{data['result']}"))
    elif event_type == EventType.TRANSFER and (receiver := org_name(data.get("to"), org_names)):
        lines.append(t("consumer.event_data.transfer_to", org=receiver))
    elif event_type == EventType.RECALL and isinstance(data.get("reason"), str):
        lines.append(t("consumer.event_data.recall_reason", reason=data["reason"]))
    elif event_type == EventType.TRANSFER_REFUSED and isinstance(data.get("reason"), str):
        lines.append(t("consumer.event_data.refusal_reason", reason=data["reason"]))
    elif event_type in (EventType.SPLIT, EventType.MERGE):
        lines.extend(_lot_movement(event_type, data, t, unit))
    elif event_type == EventType.HARVEST:
        lines.extend(diary_lines(data, t))
    elif event_type == EventType.PROCESSING:
        lines.extend(processing_lines(data, t, unit))
    lines.extend(
        data[key] for key in _FREE_TEXT_KEYS if isinstance(data.get(key), str) and data[key]
    )
    return tuple(lines)


def org_name(value: Any, names: Mapping[str, str]) -> str | None:
    """The name of the organisation ``value`` names: a rules-v2 reference states it under the
    hash; a bare slug (rules v1) is named from ``names``, else shown as it is."""
    if (stated := org_ref_name(value)) is not None:
        return stated
    if isinstance(value, str):
        return names.get(value, value)
    return None


def _lot_movement(event_type: str, data: Mapping[str, Any], t: Translator, unit: str) -> list[str]:
    """Split and merge events name the lots on the other side and the quantities moved."""
    many_key, many_text = (
        ("children", "split_into") if event_type == EventType.SPLIT else ("sources", "merged_from")
    )
    one_key, one_text = (
        ("parent", "split_from") if event_type == EventType.SPLIT else ("into", "merged_into")
    )
    parts = data.get(many_key)
    if isinstance(parts, list):
        named = [
            t("consumer.event_data.part", lot=p.get("code"), quantity=p.get("quantity"), unit=unit)
            for p in parts
            if isinstance(p, Mapping) and isinstance(p.get("code"), str)
        ]
        return [t(f"consumer.event_data.{many_text}", lots=", ".join(named))] if named else []
    if isinstance(data.get(one_key), str):
        quantity = data.get("quantity", "")
        return [
            t(f"consumer.event_data.{one_text}", lot=data[one_key], quantity=quantity, unit=unit)
        ]
    return []


def _shown(value: Any) -> Any:
    """A value as the page may print it: a commitment (``{"commitment": ...}``, a value the
    recorder kept private) or any other object prints as nothing, never as its JSON."""
    return "" if value is None or isinstance(value, Mapping | list) else value


def _generations(verification: Verification) -> dict[str, int]:
    """How far above the page's lot each lot of the journey lies (0 for the lot, 1 for its
    parents, …), walked through the ``parents`` its verified first documents name.

    A lot no such document reaches (a line recorded under rules v1 above a v2 lot, a first
    document that cannot be read) is taken as older than every lot reached. A rules-v1 page
    keeps every lot at 0, and so its order of recording, as it always had."""
    if not any(check.document is not None for check in verification.lot.events):
        return {}
    firsts = {
        lot_check.lot.code: first_document(lot_check.events)
        for lot_check in (verification.lot, *verification.ancestors)
    }
    found = {verification.lot.lot.code: 0}
    # The longest way up counts (a lot may be both a parent and a grandparent); a lineage has
    # at most len(firsts) generations, which also ends the walk should documents form a loop.
    for _ in firsts:
        longer: dict[str, int] = {}
        for code, depth in found.items():
            for parent in (firsts.get(code) or {}).get("parents") or ():
                if max(found.get(parent["lot"], -1), longer.get(parent["lot"], -1)) <= depth:
                    longer[parent["lot"]] = depth + 1
        if not longer:
            break
        found.update(longer)
    beyond = max(found.values()) + 1
    return {code: found.get(code, beyond) for code in firsts}


def _order(check: EventCheck) -> int:
    document = check.document
    return int(document["seq"]) if document is not None else check.event.seq or 0
