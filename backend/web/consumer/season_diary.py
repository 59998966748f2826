"""What was used on the farm before the harvest, and any override, as the consumer reads it.

The lines come from the harvest's verified document alone: its ``data.season_diary`` repeats
each signed diary entry of the farm since its previous harvest (docs/proof-rules.md 13.3).
The operator's name is a commitment there and is never shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from backend.i18n import Translator
from backend.timeutil import in_vietnam


def diary_lines(data: Mapping[str, Any], t: Translator) -> list[str]:
    """One line per input applied and per override, oldest first; nothing for a harvest
    whose document carries no diary (or one that is not a list of documents)."""
    entries = data.get("season_diary")
    if not isinstance(entries, list):
        return []
    lines: list[str] = []
    for entry in entries:
        document = entry.get("document") if isinstance(entry, Mapping) else None
        if not isinstance(document, Mapping) or not isinstance(document.get("data"), Mapping):
            continue
        facts, day = document["data"], _day(document.get("occurred_at"))
        if document.get("type") == "input_application":
            lines.append(
                t(
                    "compliance.consumer.input",
                    day=day,
                    product=_text(facts.get("product")),
                    ingredient=_text(facts.get("active_ingredient")),
                    dose=_text(facts.get("dose")),
                    unit=_text(facts.get("unit")),
                    days=_text(facts.get("pre_harvest_interval_days")),
                )
            )
        elif document.get("type") == "phi_override":
            lines.append(
                t(
                    "compliance.consumer.override",
                    day=day,
                    org=_text(document.get("org_name")),
                    reason=_text(facts.get("reason")),
                )
            )
    return lines


def _day(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    try:
        return in_vietnam(datetime.fromisoformat(value.replace("Z", "+00:00"))).strftime("%d/%m/%Y")
    except ValueError:
        return ""


def _text(value: Any) -> str:
    """A value as the page may print it: objects (commitments) print as nothing."""
    return "" if value is None or isinstance(value, Mapping | list) else str(value)
