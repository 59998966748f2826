"""Recall impact and notices through the API, with webhooks posted to real local servers.

A lot is split, its parts handed to two packers, labels printed and scanned; the impact of the
recalled lot (or of the pesticide batch sprayed before its harvest) names every lot, custodian,
label and scan; a notice reaches both custodians in the app and through their webhooks, signed
with HMAC, a failing one retried and logged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pypdfium2
import pytest
from sqlalchemy import update
from sqlmodel import Session

from backend.models_recall import WebhookDelivery
from backend.runtime import Runtime
from backend.services.compliance.webhook_sender import WebhookSender
from backend.services.compliance.webhooks import deliver_due
from backend.timeutil import utcnow
from tests.compliance.test_season_diary_api import spray
from tests.support.app import Actors, harvest_body
from tests.support.bodies import WRONG_ROLE, error, invalid
from tests.support.custody import hand_over


class Receiver:
    """A webhook receiver on loopback that answers the statuses it is given, then 200."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.requests: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append((dict(self.headers), body))
                status = outer.statuses.pop(0) if outer.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/sentrace"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, Receiver]]:
    good, flaky = Receiver([]), Receiver([500])
    try:
        yield good, flaky
    finally:
        good.close()
        flaky.close()


@pytest.fixture
def recalled(supply_chain: Actors) -> Actors:
    """L-R (htx, sprayed with batch B-77 before harvest) split into L-R1 (to dg, 2 labels,
    one scan) and L-R2 (to kho)."""
    actors = supply_chain
    actors.org("kho", "packer", "Kho Lai Vung")
    actors.post("/api/v1/farms/F-01/inputs", "htx", spray(batch_number="B-77"))
    actors.post("/api/v1/lots", "htx", harvest_body(code="L-R", quantity="1000"))
    children = [{"code": "L-R1", "quantity": "400"}, {"code": "L-R2", "quantity": "600"}]
    actors.post("/api/v1/lots/L-R/split", "htx", {"children": children})
    hand_over(actors.post, "L-R1", "htx", "dg")
    hand_over(actors.post, "L-R2", "htx", "kho")
    printed = actors.client.post(
        "/api/v1/lots/L-R1/labels", json={"count": 2, "serials": True}, headers=actors.headers["dg"]
    )
    assert printed.status_code == 200, printed.text
    assert actors.client.get("/l/L-R1/000001").status_code == 200
    return actors


def test_the_impact_of_a_lot_names_every_lot_custodian_label_and_scan(recalled: Actors) -> None:
    response = recalled.client.get(
        "/api/v1/recall-impact", params={"lot": "L-R"}, headers=recalled.headers["ql"]
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source"] == {"kind": "lot", "ref": "L-R"}
    assert (body["lot_count"], body["custodian_count"]) == (3, 3)
    shown = [
        (x["code"], x["depth"], x["custodian"], x["labels_printed"], x["scans"])
        for x in body["lots"]
    ]
    assert shown == [("L-R", 0, "htx", 0, 0), ("L-R1", 1, "dg", 2, 1), ("L-R2", 1, "kho", 0, 0)]
    by_batch = recalled.client.get(
        "/api/v1/recall-impact", params={"input_batch": "B-77"}, headers=recalled.headers["ql"]
    ).json()
    assert [x["code"] for x in by_batch["lots"]] == ["L-R", "L-R1", "L-R2"]
    assert by_batch["source"] == {"kind": "input_batch", "ref": "B-77"}


def test_the_impact_exports_as_csv_and_a_vietnamese_pdf(recalled: Actors) -> None:
    get, headers = recalled.client.get, recalled.headers["ql"]
    csv = get("/api/v1/recall-impact", params={"lot": "L-R", "format": "csv"}, headers=headers)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("lot,product,quantity,unit,depth,custodian")
    assert lines[2] == "L-R1,xoai,400,kg,1,dg,Đóng gói Sa Đéc,no,2,1"
    pdf = get(
        "/api/v1/recall-impact",
        params={"lot": "L-R", "format": "pdf", "lang": "vi"},
        headers=headers,
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    document = pypdfium2.PdfDocument(pdf.content)
    text = document[0].get_textpage().get_text_range()
    assert "Phạm vi ảnh hưởng của thu hồi" in text
    assert "Đóng gói Sa Đéc" in text and "L-R2" in text


def test_a_notice_reaches_both_custodians_in_the_app_and_by_signed_webhook(
    recalled: Actors, receivers: tuple[Receiver, Receiver], runtime: Runtime
) -> None:
    good, flaky = receivers
    client, headers = recalled.client, recalled.headers
    secrets = {}
    for who, receiver in (("dg", good), ("kho", flaky)):
        answer = client.put("/api/v1/webhook", json={"url": receiver.url}, headers=headers[who])
        assert answer.status_code == 200, answer.text
        secrets[who] = answer.json()["secret"]
        assert secrets[who].startswith("whsec_")
    notice = recalled.post(
        "/api/v1/recall-notices", "ql", {"lot": "L-R", "reason": "Dư lượng vượt ngưỡng"}
    )
    assert notice["lot_count"] == 3 and notice["webhook_deliveries"] == 2
    assert {(n["org"], tuple(n["lots"])) for n in notice["notified"]} == {
        ("htx", ("L-R",)),
        ("dg", ("L-R1",)),
        ("kho", ("L-R2",)),
    }
    mine = client.get("/api/v1/notifications", headers=headers["dg"]).json()
    assert [n["lots"] for n in mine] == [["L-R1"]]

    first = deliver_due(runtime.engine, runtime.settings)
    assert (first.delivered, first.retried) == (1, 1)
    [(sent_headers, body)] = good.requests
    stamp = sent_headers["X-SenTrace-Timestamp"]
    expected = hmac.new(secrets["dg"].encode(), stamp.encode() + b"." + body, hashlib.sha256)
    assert sent_headers["X-SenTrace-Signature"] == "sha256=" + expected.hexdigest()
    posted = json.loads(body)
    assert posted["lots"] == ["L-R1"] and posted["reason"] == "Dư lượng vượt ngưỡng"
    assert posted["issued_by"] == {"org": "ql", "name": "Chi cục QLCL"}

    log = client.get("/api/v1/webhook/deliveries", headers=headers["kho"]).json()
    [pending] = log
    assert pending["status"] == "pending" and pending["attempts"] == 1
    assert [a["status_code"] for a in pending["log"]] == [500]
    assert deliver_due(runtime.engine, runtime.settings).delivered == 0  # not due yet (30 s)
    with Session(runtime.engine) as session:  # as if the back-off had passed
        session.execute(update(WebhookDelivery).values(next_attempt_at=utcnow() - timedelta(1)))
        session.commit()
    assert deliver_due(runtime.engine, runtime.settings).delivered == 1
    [done] = client.get("/api/v1/webhook/deliveries", headers=headers["kho"]).json()
    assert done["status"] == "delivered" and [a["status_code"] for a in done["log"]] == [500, 200]
    assert len(flaky.requests) == 2


def test_recall_refusals_name_the_field(recalled: Actors) -> None:
    get, post, headers = recalled.client.get, recalled.client.post, recalled.headers
    by_packer = get("/api/v1/recall-impact", params={"lot": "L-R"}, headers=headers["dg"])
    assert by_packer.status_code == 403 and by_packer.json() == error(
        WRONG_ROLE, "permission_denied"
    )
    neither = get("/api/v1/recall-impact", headers=headers["ql"])
    one = "Cần đúng một trong hai: lot hoặc input_batch / give exactly one of lot and input_batch"
    assert neither.status_code == 422 and neither.json() == invalid(one, "lot")
    both = get(
        "/api/v1/recall-impact", params={"lot": "L-R", "input_batch": "B-77"}, headers=headers["ql"]
    )
    assert both.json() == invalid(one, "lot")
    unknown = get("/api/v1/recall-impact", params={"input_batch": "B-0"}, headers=headers["ql"])
    assert unknown.status_code == 422 and unknown.json() == invalid(
        "Không có vườn nào ghi nhận lô vật tư này / no farm recorded this input batch",
        "input_batch",
    )
    no_lot = get("/api/v1/recall-impact", params={"lot": "L-NONE"}, headers=headers["ql"])
    assert no_lot.status_code == 404
    blank = post(
        "/api/v1/recall-notices", json={"lot": "L-R", "reason": " "}, headers=headers["ql"]
    )
    assert blank.status_code == 422 and blank.json()["field"] == "reason"
    not_regulator = post(
        "/api/v1/recall-notices", json={"lot": "L-R", "reason": "x"}, headers=headers["htx"]
    )
    assert not_regulator.status_code == 403
    bad_url = recalled.client.put(
        "/api/v1/webhook", json={"url": "ftp://example.invalid/x"}, headers=headers["dg"]
    )
    assert bad_url.status_code == 422 and bad_url.json() == invalid(
        "Địa chỉ webhook phải là URL https đầy đủ / the webhook must be a full https URL", "url"
    )


def test_the_sender_thread_posts_a_notice_without_being_asked(
    recalled: Actors, receivers: tuple[Receiver, Receiver], runtime: Runtime
) -> None:
    good, _ = receivers
    recalled.client.put("/api/v1/webhook", json={"url": good.url}, headers=recalled.headers["dg"])
    recalled.post("/api/v1/recall-notices", "ql", {"lot": "L-R1", "reason": "Kiểm tra lại"})
    sender = WebhookSender(
        runtime.engine, runtime.settings.model_copy(update={"webhook_poll_s": 0.05})
    )
    sender.start()
    try:
        deadline = time.monotonic() + 10
        while not good.requests and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        sender.stop()
    assert len(good.requests) == 1
    assert json.loads(good.requests[0][1])["lots"] == ["L-R1"]
