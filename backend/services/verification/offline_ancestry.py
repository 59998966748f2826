"""Rules v2 ancestry, offline: the source lots a bundle shows are exactly those its records name.

A derived lot's first document names each parent lot and the parent's event that produced it
(docs/proof-rules.md, 3.3 and section 7, step 9). Starting from the bundle's lot, every parent
named must be in the bundle with that event in its walked history (``offline_heads``); a
parent left out could hide a recalled source. When every lot of the bundle follows rules v2,
a lot the bundle lists as an ancestor that no record names is lent history, and fails too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backend.hashing import SCHEMA, HashingError, from_hex
from backend.services.verification.offline_report import BundleResult, EventResult
from backend.services.verification.verdicts import Finding, Verdict


def check_ancestry(
    bundle: dict[str, Any],
    result: BundleResult,
    documents: Mapping[str, list[EventResult]],
    histories: Mapping[str, set[bytes]],
) -> None:
    """``documents``: each rules v2 lot's readable documents; ``histories``: the event hashes
    of each lot's history (v2: the walked chain; v1: every readable event)."""
    listed = {
        str(item.get("code")): item for item in bundle.get("lots") or [] if isinstance(item, dict)
    }
    own = str(bundle.get("lot"))
    proven = {own}
    frontier = [own]
    while frontier:
        code = frontier.pop()
        for parent in _parents(documents.get(code, [])):
            name = str(parent.get("lot"))
            if name not in listed and name not in documents:
                _problem(result, "proof_parent_missing", lot=code, parent=name)
            elif _hash(parent.get("event_hash")) not in histories.get(name, set()):
                _problem(result, "proof_parent_event", lot=code, parent=name)
            if name not in proven:
                proven.add(name)
                frontier.append(name)
    if all(item.get("rules") != SCHEMA for item in listed.values()):
        for extra in sorted(set(listed) - proven):
            _problem(result, "proof_parent_extra", lot=extra)


def _parents(events: list[EventResult]) -> list[dict[str, Any]]:
    """The ``parents`` of the lot's first document (none when it has no readable one)."""
    for event in events:
        if event.document is not None and event.document["seq"] == 1:
            found: list[dict[str, Any]] = event.document.get("parents") or []
            return found
    return []


def _hash(value: object) -> bytes | None:
    try:
        return from_hex(value) if isinstance(value, str) else None
    except HashingError:
        return None


def _problem(result: BundleResult, code: str, **params: Any) -> None:
    result.problems.append(Finding(Verdict.TAMPERED, code, params))
