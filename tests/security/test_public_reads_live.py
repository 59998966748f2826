"""What an anonymous visitor may read, against a real ``sentrace serve``.

One lot, harvested by cooperative ``htx``, handed to packer ``dg`` (sent and received) and
split, then anchored; another sent to ``dg`` and never received.
Without a key the lot API answers the lot's public face: every value in it is on the lot's
consumer page, and nothing of the custodian, the remaining quantity, the children, event ids,
hashes or raw data is. With the key of an organisation that acted on the lot the full record
comes back; with another cooperative's key, the public face. The public batch answer names no
events and no error text; the admin's shows them. Generated lot codes carry a random part.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.app import ADMIN
from tests.support.custody import hand_over
from tests.support.server import ServerProcess, server_env

GENERATED = re.compile(r"^DT-XOAI-\d{4}-[0-9A-HJKMNP-TV-Z]{6}$")
PUBLIC_KEYS = {
    "code",
    "rules",
    "verdict",
    "product",
    "brand_owner",
    "producer",
    "farm",
    "quantity",
    "unit",
    "harvested_at",
    "parents",
    "recalled",
    "recalled_at",
    "recall_reason",
    "in_transit_to",
    "events",
}
#: Members whose values the page shows in its own words (an enum, a date in dd/mm/yyyy).
RENDERED_DIFFERENTLY = {
    "type",
    "rules",
    "verdict",
    "occurred_at",
    "harvested_at",
    "anchored_at",
    "status",  # a certificate's "self_declared" / "confirmed", in the page's words
    "growing_area_status",
}


class World:
    def __init__(self, http: httpx.Client, keys: dict[str, dict[str, str]]) -> None:
        self.http = http
        self.keys = keys
        self.code = ""
        self.children: list[str] = []
        self.sent = ""  # sent to dg, never received

    def post(self, path: str, who: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.post(path, json=body, headers=self.keys[who])
        assert response.status_code in (200, 201), response.text
        return response.json()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("public-reads")
    env = server_env(root / "data", chain_rpc_url="memory", worker_enabled=False)
    server = ServerProcess(env=env, log_path=root / "server.log").start()
    try:
        with server.client() as http:
            built = World(http, {"admin": ADMIN, "none": {}})
            for slug, role in (("htx", "cooperative"), ("htx2", "cooperative"), ("dg", "packer")):
                body = {"slug": slug, "name": f"Tổ chức {slug}", "role": role}
                made = built.post("/api/v1/orgs", "admin", {**body, "key_custody": "custodial"})
                built.keys[slug] = {"Authorization": f"Bearer {made['api_key']}"}
            farm = {
                "code": "F-01",
                "name": "Vườn Mỹ Xương",
                "commune": "Mỹ Xương",
                "growing_area_code": "VN-DT-X1",
                "certifications": [{"scheme": "VietGAP", "number": "VG-1", "issuer": "Quacert"}],
            }
            built.post("/api/v1/farms", "htx", farm)
            built.post("/api/v1/products", "htx", {"code": "xoai", "name_vi": "Xoài cát Chu"})
            harvest = {
                "product": "xoai",
                "farm": "F-01",
                "quantity": "120",
                "unit": "kg",
                "harvested_at": "2026-05-01T06:30:00+07:00",
            }
            built.code = built.post("/api/v1/lots", "htx", harvest)["code"]
            hand_over(built.post, built.code, "htx", "dg")
            split = built.post(
                f"/api/v1/lots/{built.code}/split",
                "dg",
                {"children": [{"quantity": "30"}, {"quantity": "40"}]},
            )
            built.children = [child["code"] for child in split["children"]]
            built.sent = built.post("/api/v1/lots", "htx", harvest)["code"]
            built.post(f"/api/v1/lots/{built.sent}/transfer", "htx", {"to": "dg"})
            built.post("/api/v1/anchor", "admin")
            yield built
    finally:
        server.stop()


def leaves(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for name, inner in value.items():
            yield from leaves(inner, name)
    elif isinstance(value, list):
        for inner in value:
            yield from leaves(inner, key)
    else:
        yield key, value


def test_generated_lot_codes_carry_a_random_part(world: World) -> None:
    assert GENERATED.match(world.code), world.code
    assert all(GENERATED.match(child) for child in world.children), world.children
    assert len({world.code, *world.children}) == 3


def test_the_public_lot_api_shows_no_field_the_consumer_page_does_not(world: World) -> None:
    public = world.http.get(f"/api/v1/lots/{world.code}")
    assert public.status_code == 200, public.text
    record = public.json()
    assert set(record) == PUBLIC_KEYS
    page = html.unescape(world.http.get(f"/l/{world.code}").text)
    shown = [
        (k, v) for k, v in leaves(record) if isinstance(v, str) and k not in RENDERED_DIFFERENTLY
    ]
    assert len(shown) >= 8  # lot code, product, producer, farm, commune, province, quantity, unit
    missing = [(k, v) for k, v in shown if v not in page]
    assert missing == [], f"public API values the page does not show: {missing}"
    text = public.text
    assert "custodian" not in text and "remaining_quantity" not in text
    assert "children" not in text and "event_hash" not in text and '"id"' not in text
    assert '"data"' not in text and '"org":' not in text


def test_a_transfer_never_received_reads_in_transit_and_leaves_the_sender_custodian(
    world: World,
) -> None:
    public = world.http.get(f"/api/v1/lots/{world.sent}").json()
    assert set(public) == PUBLIC_KEYS and public["in_transit_to"] == "Tổ chức dg"
    page = html.unescape(world.http.get(f"/l/{world.sent}").text)
    assert "Đang vận chuyển đến Tổ chức dg" in page
    full = world.http.get(f"/api/v1/lots/{world.sent}", headers=world.keys["dg"]).json()
    assert full["custodian"]["slug"] == "htx"  # the receiver may read it, but does not hold it
    note = {"type": "note", "occurred_at": "2026-05-02T08:00:00Z", "data": {"text": "x"}}
    early = world.http.post(
        f"/api/v1/lots/{world.sent}/events", json=note, headers=world.keys["dg"]
    )
    assert early.status_code == 403
    stranger = world.http.post(
        f"/api/v1/lots/{world.sent}/receive", json={}, headers=world.keys["htx2"]
    )
    assert stranger.status_code == 403 and "addressed to" in stranger.json()["detail"]
    assert world.http.get(f"/api/v1/lots/{world.code}").json()["in_transit_to"] is None


def test_a_key_that_acted_on_the_lot_reads_the_full_record(world: World) -> None:
    full = world.http.get(f"/api/v1/lots/{world.code}", headers=world.keys["htx"]).json()
    assert full["custodian"]["slug"] == "dg"
    assert full["remaining_quantity"] == "50"
    assert sorted(child["code"] for child in full["children"]) == sorted(world.children)
    holder = world.http.get(f"/api/v1/lots/{world.code}", headers=world.keys["dg"]).json()
    assert holder["custodian"]["slug"] == "dg"


def test_a_key_without_read_rights_gets_the_public_face(world: World) -> None:
    other = world.http.get(f"/api/v1/lots/{world.code}", headers=world.keys["htx2"])
    assert other.status_code == 200
    assert set(other.json()) == PUBLIC_KEYS
    forged = world.http.get(
        f"/api/v1/lots/{world.code}", headers={"Authorization": "Bearer stk_not-a-key"}
    )
    assert forged.status_code == 401


def test_the_public_batch_answer_names_no_events_and_no_error(world: World) -> None:
    full = world.http.get(f"/api/v1/lots/{world.code}", headers=world.keys["htx"]).json()
    root = next(e["batch_root"] for e in full["events"] if e["batch_root"])
    public = world.http.get(f"/api/v1/batches/{root}").json()
    assert public["root"] == root and public["status"] == "confirmed"
    for private in ("events", "last_error", "attempts", "sent_at", "created_at"):
        assert private not in public
    admin = world.http.get(f"/api/v1/batches/{root}", headers=ADMIN).json()
    assert len(admin["events"]) == admin["event_count"] and "last_error" in admin
    coop = world.http.get(f"/api/v1/batches/{root}", headers=world.keys["htx"]).json()
    assert "events" not in coop


def test_codes_made_by_the_old_counter_keep_resolving(world: World) -> None:
    body = {
        "code": "DT-XOAI-2605-000001",
        "product": "xoai",
        "farm": "F-01",
        "quantity": "5",
        "unit": "kg",
        "harvested_at": "2026-05-01T06:30:00+07:00",
    }
    world.post("/api/v1/lots", "htx", body)
    assert world.http.get("/api/v1/lots/DT-XOAI-2605-000001").json()["code"] == body["code"]
    assert world.http.get("/l/DT-XOAI-2605-000001").status_code == 200
