"""Where a portal record goes: the :class:`PortalPublisher` interface, and the file/stdout
publisher that serves until the national portal publishes its integration format.

A push client for the portal implements :class:`PortalPublisher` (send the record, return a
receipt naming what the portal answered); the command line then takes it in place of the file
publisher without any other change. The two formats: JSON (one object: the items under their
keys, with each item's Vietnamese and English name) and CSV (a header row of item keys and one
row of values), both UTF-8.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

from backend.errors import InvalidInput
from backend.i18n.messages import message
from backend.services.interop.portal import ITEM_KEYS, ITEMS, PortalRecord

FORMATS = ("json", "csv")
#: Identifies the shape of what is written, so a reader can tell a later version apart.
SCHEMA = "sentrace/portal-circular-02-2024@1"


@dataclass(frozen=True)
class PublishReceipt:
    """What a publisher did with a record: where it went and how many bytes it took."""

    destination: str
    size: int


class PortalPublisher(Protocol):
    """Sends one lot's portal record somewhere (a file now; the portal's API later)."""

    def publish(self, record: PortalRecord) -> PublishReceipt:
        """Deliver ``record``; raise a :class:`~backend.errors.SenTraceError` on failure."""
        ...


def check_format(fmt: str) -> str:
    """``fmt`` when it is one of :data:`FORMATS`; :class:`InvalidInput` naming it otherwise."""
    if fmt not in FORMATS:
        raise InvalidInput(
            message("portal.bad_format", tail=f"{fmt!r} ({', '.join(FORMATS)})"),
            field="format",
        )
    return fmt


def as_json(record: PortalRecord) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "lot": record.lot,
        "verdict": record.verdict,
        "trace_url": record.trace_url,
        "items": {key: record.items[key] for key in ITEM_KEYS},
        "item_names": {key: {"vi": vi, "en": en} for key, vi, en in ITEMS},
        "missing": record.missing,
    }


def render(record: PortalRecord, fmt: str) -> str:
    """``record`` as JSON or CSV text."""
    if check_format(fmt) == "json":
        return json.dumps(as_json(record), ensure_ascii=False, indent=2) + "\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["lot", *ITEM_KEYS, "trace_url"])
    writer.writerow([record.lot, *(record.items[k] or "" for k in ITEM_KEYS), record.trace_url])
    return buffer.getvalue()


class StreamPublisher:
    """Writes the record to a text stream (a file opened by the caller, or stdout)."""

    def __init__(self, stream: TextIO, *, fmt: str, name: str) -> None:
        self._stream = stream
        self._fmt = check_format(fmt)
        self._name = name

    def publish(self, record: PortalRecord) -> PublishReceipt:
        text = render(record, self._fmt)
        self._stream.write(text)
        self._stream.flush()
        return PublishReceipt(destination=self._name, size=len(text.encode("utf-8")))
