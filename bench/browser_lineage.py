"""A lot with two ancestors recorded through the API on a real chain, for the browser check.

A grandparent lot is harvested and noted, split into a parent, which is noted and split into
the lot a label names; that lot then gets notes until it holds ``events`` events. Each step is
anchored in a batch of its own (a real server's batches leave a lineage spread over several),
the notes in a few batches. The organisation's key is custodial, so the server signs every
event and the chain records the key before the first anchor. Used by the browser check's
benchmark section and its Chromium tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from backend.runtime import Runtime

GRANDPARENT, PARENT, CHILD = "DT-XOAI-G01", "DT-XOAI-P01", "DT-XOAI-C01"
#: Events recorded in one batch while the lot's notes are added.
NOTES_PER_BATCH = 5


@dataclass(frozen=True)
class Lineage:
    """The codes recorded: the lot a label names and its two ancestors."""

    lot: str
    ancestors: tuple[str, ...]


def anchor_all(runtime: Runtime, *, passes: int = 20) -> None:
    """Flush and confirm until the anchoring service has nothing left (bounded)."""
    for _ in range(passes):
        if not runtime.anchoring.run_once(force=True, wait=True).more_work:
            return
    raise RuntimeError(f"anchoring still had work after {passes} passes")


def record_lineage(
    client: TestClient, runtime: Runtime, *, admin: dict[str, str], events: int = 20
) -> Lineage:
    """Records the three lots (the child with ``events`` events, at least 2) and anchors them."""
    made = client.post(
        "/api/v1/orgs",
        json={
            "slug": "htx-my-xuong", "name": "HTX Xoài Mỹ Xương", "role": "cooperative",
            "key_custody": "custodial",
        },
        headers=admin,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    headers = {"Authorization": f"Bearer {made.json()['api_key']}"}

    def post(path: str, body: dict[str, Any], *, anchor: bool = True) -> None:
        response = client.post(path, json=body, headers=headers)
        if response.status_code not in (200, 201):
            raise RuntimeError(f"{path}: {response.status_code} {response.text}")
        if anchor:
            anchor_all(runtime)

    def note(code: str, text: str, *, anchor: bool = True) -> None:
        body = {"type": "note", "occurred_at": "2026-05-02T08:00:00Z", "data": {"text": text}}
        post(f"/api/v1/lots/{code}/events", body, anchor=anchor)

    post("/api/v1/farms", {"code": "MX-01", "name": "Vườn ông Tư", "commune": "Mỹ Xương"})
    post("/api/v1/products", {"code": "xoai-cat-chu", "name_vi": "Xoài cát Chu"})
    lot = {"code": GRANDPARENT, "product": "xoai-cat-chu", "farm": "MX-01", "quantity": "1000"}
    post("/api/v1/lots", {**lot, "unit": "kg", "harvested_at": "2026-05-01T06:30:00+07:00"})
    note(GRANDPARENT, "Tỉa cành")
    split = {"children": [{"code": PARENT, "quantity": "500"}]}
    post(f"/api/v1/lots/{GRANDPARENT}/split", split)
    note(PARENT, "Sơ chế, phân loại")
    post(f"/api/v1/lots/{PARENT}/split", {"children": [{"code": CHILD, "quantity": "250"}]})
    for n in range(2, max(events, 2) + 1):  # the child's first event is its split
        last = n == events or (n - 1) % NOTES_PER_BATCH == 0
        note(CHILD, f"Kiểm tra nhiệt độ kho lạnh lần {n - 1}", anchor=last)
    anchor_all(runtime)
    return Lineage(CHILD, (PARENT, GRANDPARENT))
