"""Event batches: many observations on several lots in one request, stored all or none."""

from __future__ import annotations

import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from backend.api.event_batches import MAX_BODY_BYTES, PATH
from backend.hashing import canonical_bytes, lot_key, read_document, to_hex
from backend.models import (
    EVENT_KIND_CODES,
    BatchStatus,
    ChainAction,
    Event,
    EventType,
    Lot,
    Organisation,
)
from backend.runtime import Runtime
from backend.services.ledger.events import MAX_BATCH_EVENTS, EventInput, add_lot_events
from backend.services.ledger.locking import lock_lot
from tests.api.test_lots import RULES, disclosed, recomputed_hash, stored_bytes
from tests.api.test_writes import count
from tests.support.app import ADMIN, Actors, empty_all_tables, harvest_body, make_settings
from tests.support.bodies import (
    A_HASH,
    A_UUID,
    NAIVE,
    NOT_CUSTODIAN,
    REQUIRED,
    UNKNOWN_LOT,
    error,
    invalid,
)
from tests.support.custody import hand_over
from tests.support.ledger_flow import actions, events

LOT_A, LOT_B, HANDED_ON = "XOAI-A", "XOAI-B", "XOAI-C"
TOO_BIG_INTEGER = "Số nguyên quá lớn, hãy dùng chuỗi / integer too large, send it as a string"
OWN_ENDPOINT = "Loại sự kiện này có điểm cuối riêng / this event type has its own endpoint: "


@pytest.fixture
def lots(supply_chain: Actors) -> Actors:
    """Lots A and B held by ``htx``; lot C harvested by ``htx`` and handed on to ``dg``."""
    for code in (LOT_A, LOT_B, HANDED_ON):
        supply_chain.post("/api/v1/lots", "htx", harvest_body(code=code))
    hand_over(supply_chain.post, HANDED_ON, "htx", "dg")
    return supply_chain


def item(lot: str, type_: str = "note", data: dict[str, Any] | None = None, **extra: Any) -> Any:
    """One batch item; a note unless told otherwise."""
    return {
        "lot": lot,
        "type": type_,
        "occurred_at": "2026-05-02T08:00:00+07:00",
        "data": {"text": "Tưới nước"} if data is None else data,
        **extra,
    }


def post_batch(actors: Actors, items: list[Any], who: str = "htx", **headers: str) -> Any:
    return actors.client.post(
        PATH, json={"events": items}, headers={**actors.headers[who], **headers}
    )


def stored_events(actors: Actors, code: str) -> list[dict[str, Any]]:
    record = actors.client.get(f"/api/v1/lots/{code}", headers=ADMIN)  # the full record
    events_: list[dict[str, Any]] = record.json()["events"]
    return events_


def nothing_stored_by(
    runtime: Runtime, action: Callable[[], Any], expected_status: int
) -> dict[str, Any]:
    """Run a refused batch; assert no event and no chain action was added; return its body."""
    before = count(runtime, Event), count(runtime, ChainAction)
    response = action()
    assert response.status_code == expected_status, response.text
    assert (count(runtime, Event), count(runtime, ChainAction)) == before
    body: dict[str, Any] = response.json()
    return body


# --- accepted batches -----------------------------------------------------------------------


@pytest.mark.parametrize("rules", RULES)
def test_a_batch_across_two_lots_is_stored_in_request_order(
    lots: Actors, runtime: Runtime, rules: int
) -> None:
    items = [
        item(LOT_A),
        item(LOT_B, "quality_check", {"result": "pass", "brix": "14.5"}),
        item(LOT_A, "packing", {"boxes": 40}),
    ]
    response = post_batch(lots, items)

    assert response.status_code == 201
    accepted = {"id": A_UUID, "event_hash": A_HASH, "status": "pending"}
    assert response.json() == {"accepted": 3, "events": [accepted] * 3}
    ids = [e["id"] for e in response.json()["events"]]
    assert len(set(ids)) == 3
    in_seq_order = [e.id for e in events(runtime.engine) if e.id in ids]
    assert in_seq_order == ids
    by_id = {e["id"]: e for code in (LOT_A, LOT_B) for e in stored_events(lots, code)}
    assert [by_id[i]["type"] for i in ids] == ["note", "quality_check", "packing"]
    for code, answer in zip((LOT_A, LOT_B, LOT_A), response.json()["events"], strict=True):
        assert recomputed_hash(lots.client, code, by_id[answer["id"]]) == answer["event_hash"]
    assert [e["type"] for e in stored_events(lots, LOT_A)] == ["harvest", "note", "packing"]


@pytest.mark.parametrize("rules", RULES)
def test_each_event_is_stored_and_hashed_exactly_as_the_single_endpoint_would(
    lots: Actors, rules: int
) -> None:
    """Under rules v2 the two documents differ only where each event must have its own: its
    id, its place in the lot's chain (``seq``, ``prev``) and the salt of its committed exact
    point (a fresh salt for every value, proof rules 4); the point committed is the same."""

    def nfd(value: str) -> str:
        return unicodedata.normalize("NFD", value)

    observation = {
        "type": "quality_check",
        "occurred_at": "2026-04-20T08:00:00.987654+07:00",
        "location": {"lat": 10.29, "lon": 105.76, nfd("tên"): nfd("Nhà sơ chế Mỹ Xương")},
        "data": {"result": "pass", "brix": 14.5, nfd("ghi chú"): nfd("Trái đạt chuẩn")},
    }
    single = lots.post(f"/api/v1/lots/{LOT_A}/events", "htx", observation)
    batch = post_batch(lots, [{"lot": LOT_A, **observation}])
    assert batch.status_code == 201
    (from_batch,) = batch.json()["events"]

    stored = {e["id"]: e for e in stored_events(lots, LOT_A)}
    one, many = stored[single["id"]], stored[from_batch["id"]]
    hashed_fields = ("type", "occurred_at", "org", "data")
    assert {k: many[k] for k in hashed_fields} == {k: one[k] for k in hashed_fields}
    assert many["data"] == {"result": "pass", "brix": "14.5", "ghi chú": "Trái đạt chuẩn"}
    assert recomputed_hash(lots.client, LOT_A, one) == single["event_hash"]
    assert recomputed_hash(lots.client, LOT_A, many) == from_batch["event_hash"]
    if rules == 1:
        assert many["location"] == one["location"]
        # The single endpoint's stored form, hashed under the batch event's id, is the batch hash.
        as_batch = {**one, "id": many["id"]}
        assert recomputed_hash(lots.client, LOT_A, as_batch) == from_batch["event_hash"]
        return
    point = {"lat": "10.29", "lon": "105.76"}
    for shown in (one, many):
        assert disclosed(lots, LOT_A, shown["id"]) == {"location.point": point}
    # The single endpoint's document, given the batch event's own id, place and commitment, is
    # the batch event's stored bytes exactly.
    own_bytes = stored_bytes(lots.client, LOT_A, many["id"])
    own = read_document(own_bytes)
    single_document = read_document(stored_bytes(lots.client, LOT_A, one["id"]))
    assert (own["seq"], own["prev"]) == (single_document["seq"] + 1, single["event_hash"])
    place = {k: own[k] for k in ("id", "seq", "prev")}
    location = {**single_document["location"], "point": own["location"]["point"]}
    assert canonical_bytes({**single_document, **place, "location": location}) == own_bytes


def test_a_replayed_batch_returns_the_first_answer_and_stores_nothing_twice(
    lots: Actors, runtime: Runtime
) -> None:
    items = [item(LOT_A), item(LOT_B)]
    key = {"Idempotency-Key": "sync-phone-7-2026-05-02"}
    before = count(runtime, Event)

    first = post_batch(lots, items, **key)
    again = post_batch(lots, items, **key)

    assert (first.status_code, again.status_code) == (201, 201)
    assert first.headers["Idempotent-Replayed"] == "false"
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert count(runtime, Event) == before + 2
    other = post_batch(lots, [item(LOT_A)], **key)
    assert other.status_code == 422
    assert other.json()["field"] == "Idempotency-Key"


def test_a_batch_of_the_largest_size_fits_though_it_is_over_the_global_body_limit(
    lots: Actors, runtime: Runtime
) -> None:
    note = "Phun thuốc sinh học buổi sáng, trái đẹp, không sâu bệnh; đạt chuẩn VietGAP. " * 8
    items = [item(LOT_A if i % 2 else LOT_B, data={"text": note}) for i in range(MAX_BATCH_EVENTS)]
    size = len(lots.client.build_request("POST", PATH, json={"events": items}).content)
    assert runtime.settings.max_body_bytes < size < MAX_BODY_BYTES

    response = post_batch(lots, items)

    assert response.status_code == 201
    assert response.json()["accepted"] == MAX_BATCH_EVENTS


def test_a_body_over_the_batch_limit_gets_413(lots: Actors) -> None:
    raw = b'{"events": [' + b" " * MAX_BODY_BYTES + b"]}"
    response = lots.client.post(
        PATH, content=raw, headers={**lots.headers["htx"], "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json() == error(
        f"Dữ liệu gửi lên quá lớn (tối đa {MAX_BODY_BYTES} byte) / "
        f"request body too large (max {MAX_BODY_BYTES} bytes)",
        "payload_too_large",
    )


# --- refused batches: nothing stored, the item named ------------------------------------------


def test_one_bad_item_in_the_middle_refuses_the_whole_batch(lots: Actors, runtime: Runtime) -> None:
    items = [
        item(LOT_A),
        item(LOT_B, "quality_check", {"result": "pass", "brix": 2**60}),
        item(LOT_A),
    ]
    body = nothing_stored_by(runtime, lambda: post_batch(lots, items), 422)
    assert body == invalid(TOO_BIG_INTEGER, "events[1].data.brix")


def test_a_lot_the_caller_does_not_hold_is_403_naming_the_item(
    lots: Actors, runtime: Runtime
) -> None:
    items = [item(LOT_A), item(HANDED_ON)]
    body = nothing_stored_by(runtime, lambda: post_batch(lots, items), 403)
    assert body == error(NOT_CUSTODIAN, "permission_denied", "events[1].lot")


def test_an_unknown_lot_is_404_naming_the_item(lots: Actors, runtime: Runtime) -> None:
    items = [item(LOT_A), item(LOT_B), item("KHONG-CO")]
    body = nothing_stored_by(runtime, lambda: post_batch(lots, items), 404)
    assert body == error(UNKNOWN_LOT, "not_found", "events[2].lot")


def test_the_first_bad_item_in_request_order_is_reported_whatever_the_lock_order(
    lots: Actors, runtime: Runtime
) -> None:
    items = [item("ZZ-KHONG-CO"), item(LOT_A, "fumigation")]  # ZZ… is locked last
    body = nothing_stored_by(runtime, lambda: post_batch(lots, items), 404)
    assert body == error(UNKNOWN_LOT, "not_found", "events[0].lot")


@pytest.mark.parametrize(
    ("type_", "endpoint"),
    [
        ("transfer", "POST /api/v1/lots/{code}/transfer"),
        ("transfer_received", "POST /api/v1/lots/{code}/receive"),
        ("recall", "POST /api/v1/lots/{code}/recall"),
    ],
)
def test_types_that_change_the_lot_are_refused(
    lots: Actors, runtime: Runtime, type_: str, endpoint: str
) -> None:
    items = [item(LOT_A), item(LOT_B, type_, {})]
    body = nothing_stored_by(runtime, lambda: post_batch(lots, items), 422)
    assert body == invalid(OWN_ENDPOINT + endpoint, "events[1].type")


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        (item(LOT_A, "note", {}), invalid(REQUIRED, "events[2].data.text")),
        (item(LOT_A, occurred_at="2026-05-02T08:00:00"), invalid(NAIVE, "events[2].occurred_at")),
        (item(LOT_A, location={"lat": 91}),
         invalid("Phải trong khoảng −90 đến 90 / must be between -90 and 90",
                 "events[2].location.lat")),
        (item(LOT_A, "fumigation"), {"field": "events[2].type"}),
    ],
)  # fmt: skip
def test_every_rule_of_the_single_endpoint_applies_to_each_item(
    lots: Actors, runtime: Runtime, bad: dict[str, Any], expected: dict[str, Any]
) -> None:
    items = [item(LOT_A), item(LOT_B), bad]
    body = nothing_stored_by(runtime, lambda: post_batch(lots, items), 422)
    assert {k: body[k] for k in expected} == expected
    assert body["code"] == "invalid_input"


@pytest.mark.parametrize(
    ("items", "field", "kind"),
    [
        ([item(LOT_A), {"lot": LOT_A, "type": "note", "data": {"text": "x"}}],
         "events[1].occurred_at", "missing"),
        ([item(LOT_A, quantiy=3)], "events[0].quantiy", "extra_forbidden"),
        ([item(LOT_A), item(LOT_B), {**item(LOT_A), "lot": 7}], "events[2].lot", "string_type"),
        ([{**item(LOT_A), "lot": "X" * 65}], "events[0].lot", "string_too_long"),
        ([], "events", "too_short"),
        ([item(LOT_A)] * (MAX_BATCH_EVENTS + 1), "events", "too_long"),
    ],
)  # fmt: skip
def test_body_validation_errors_name_the_item_path(
    lots: Actors, runtime: Runtime, items: list[Any], field: str, kind: str
) -> None:
    body = nothing_stored_by(runtime, lambda: post_batch(lots, items), 422)
    assert (body["code"], body["field"]) == ("invalid_input", field)
    assert body["detail"][0]["type"] == kind


def test_a_body_without_a_list_of_events_is_refused(lots: Actors, runtime: Runtime) -> None:
    response = lots.client.post(PATH, json=[item(LOT_A)], headers=lots.headers["htx"])
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"


def test_a_batch_needs_an_api_key(lots: Actors) -> None:
    response = lots.client.post(PATH, json={"events": [item(LOT_A)]})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_the_service_refuses_an_empty_batch_itself(lots: Actors, runtime: Runtime) -> None:
    with Session(runtime.engine) as session:
        org = session.exec(select(Organisation).where(Organisation.slug == "htx")).one()
        with pytest.raises(Exception, match="a batch holds 1 to 500 events") as caught:
            add_lot_events(session, org=org, items=[], settings=runtime.settings)
    assert getattr(caught.value, "field", None) == "events"


# --- anchoring: batch events are anchored by the worker like any other ------------------------

MILESTONES = "harvest,transfer,recall,quality_check"
WHEN = datetime(2026, 5, 2, 1, 0, tzinfo=UTC)


class TestBatchEventsAreAnchored:
    """A running worker on the in-process chain; quality checks made milestones for this."""

    @pytest.fixture
    def runtime(self, tmp_path: Path, database_url: str) -> Iterator[Runtime]:
        settings = make_settings(
            tmp_path / "data",
            database_url,
            worker_enabled=True,
            worker_poll_s=0.05,
            batch_max_delay_s=0.0,
            direct_event_types=MILESTONES,
        )
        instance = Runtime.start(settings)
        try:
            yield instance
        finally:
            instance.close()

    def test_batch_events_reach_verified_and_milestones_go_on_chain(
        self, lots: Actors, runtime: Runtime, client: TestClient
    ) -> None:
        items = [
            item(LOT_A),
            item(LOT_B, "quality_check", {"result": "pass"}),
            item(LOT_A, "quality_check", {"result": "fail", "lý do": "Sâu đục trái"}),
        ]
        response = post_batch(lots, items)
        assert response.status_code == 201
        answers = response.json()["events"]
        checks = {a["id"]: a["event_hash"] for a in answers[1:]}
        queued = {a.event_id: a for a in actions(runtime.engine) if a.event_id in checks}
        assert {i: a.payload_hash for i, a in queued.items()} == checks
        kind = EVENT_KIND_CODES[EventType.QUALITY_CHECK]
        assert {a.event_kind for a in queued.values()} == {kind}
        assert {a.lot_key for a in queued.values()} == {to_hex(lot_key(c)) for c in (LOT_A, LOT_B)}

        _wait_for(
            lambda: (
                _verdicts(client) == {LOT_A: "verified", LOT_B: "verified"}
                and all(a.status is BatchStatus.CONFIRMED for a in actions(runtime.engine))
            )
        )

        shown = {
            e["id"]: e
            for code in (LOT_A, LOT_B)
            for e in client.get(f"/api/v1/lots/{code}/verification").json()["events"]
        }
        for answer in answers:
            event = shown[answer["id"]]
            assert event["verdict"] == "verified"
            assert event["computed_hash"] == answer["event_hash"]
            assert event["batch_root"]
        assert all(shown[i]["milestone_tx_hash"] for i in checks)


def _verdicts(client: TestClient) -> dict[str, str]:
    return {
        code: client.get(f"/api/v1/lots/{code}/verification").json()["verdict"]
        for code in (LOT_A, LOT_B)
    }


def _wait_for(condition: Callable[[], bool], *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail("condition not reached within the deadline")


# --- lock order on PostgreSQL -------------------------------------------------------------------


@pytest.mark.postgres
class TestLotsAreLockedInSortedOrder:
    """Two batches naming the same lots in different orders must queue, not deadlock."""

    @pytest.fixture
    def database_url(self, shared_postgres_database: str) -> str:
        empty_all_tables(shared_postgres_database)
        return shared_postgres_database

    def test_a_batch_naming_b_then_a_waits_on_a_before_it_takes_b(
        self, lots: Actors, runtime: Runtime
    ) -> None:
        engine = runtime.engine
        with Session(engine, expire_on_commit=False) as session:
            org = session.exec(select(Organisation).where(Organisation.slug == "htx")).one()
            session.expunge(org)
        items = [
            EventInput(LOT_B, "note", WHEN, None, {"text": "B trước"}),
            EventInput(LOT_A, "note", WHEN, None, {"text": "rồi A"}),
        ]
        outcome: dict[str, Any] = {}

        def batch() -> None:
            try:
                with Session(engine) as session:
                    add_lot_events(session, org=org, items=items, settings=runtime.settings)
                    session.commit()
                outcome["ok"] = True
            except Exception as exc:  # reported by the main thread
                outcome["error"] = exc

        holder = Session(engine)
        worker = threading.Thread(target=batch)
        try:
            lock_lot(holder, LOT_A)  # another writer holds A, first in sorted order
            worker.start()
            _wait_for(lambda: _sessions_waiting_on_a_lock(runtime) == 1, timeout=30.0)
            with Session(engine) as probe:  # so B must still be free
                try:
                    probe.exec(
                        select(Lot).where(Lot.code == LOT_B).with_for_update(nowait=True)
                    ).one()
                except OperationalError:
                    pytest.fail("the batch took lot B before lot A: locks out of sorted order")
                probe.rollback()
        finally:
            holder.rollback()
            holder.close()
            worker.join(timeout=30.0)
        assert outcome == {"ok": True}
        texts = [e.data["text"] for e in events(engine) if e.data.get("text")]
        assert texts[-2:] == ["B trước", "rồi A"]


def _sessions_waiting_on_a_lock(runtime: Runtime) -> int:
    query = text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    with runtime.engine.connect() as connection:
        return int(connection.execute(query).scalar_one())
