"""Scans of serialised labels: counted once per person, shown on the page, and the two
counterfeit cautions (scanned too often, never printed)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from backend.models import Scan
from backend.runtime import Runtime
from backend.timeutil import in_vietnam, utcnow
from tests.web.conftest import PHONE, SCAN_WARN_THRESHOLD
from tests.web.scenario import CHILD, MANGO_GTIN, VERIFIED

CAUTION = '<section class="alert caution" role="alert">'


def scan(web: TestClient, path: str, **headers: str) -> str:
    response = web.get(path, headers={**PHONE, **headers})
    assert response.status_code == 200
    return response.text


def scan_line(text: str) -> str | None:
    match = re.search(r'<p class="scans" id="scans">(.*?)</p>', text)
    return match.group(1) if match else None


def today() -> str:
    return in_vietnam(utcnow()).strftime("%d/%m/%Y")


def test_each_scan_is_counted_from_the_first_day(web: TestClient) -> None:
    first = scan(web, f"/l/{CHILD}/0001")
    assert scan_line(first) == f"Quét lần đầu ngày {today()}; đã quét 1 lần. Số sê-ri: 0001"
    second = scan(web, f"/01/{MANGO_GTIN}/10/{CHILD}/21/0001")
    assert scan_line(second) == f"Quét lần đầu ngày {today()}; đã quét 2 lần. Số sê-ri: 0001"
    assert CAUTION not in second


def test_scan_line_in_english(web: TestClient) -> None:
    text = scan(web, f"/l/{CHILD}/0002?lang=en")
    assert scan_line(text) == f"First scanned on {today()}; scanned once. Serial number: 0002"


def test_a_serial_scanned_beyond_the_threshold_warns_of_a_copied_label(web: TestClient) -> None:
    for count in range(1, SCAN_WARN_THRESHOLD + 1):
        assert CAUTION not in scan(web, f"/l/{VERIFIED}/0003"), count
    text = scan(web, f"/l/{VERIFIED}/0003")
    assert CAUTION in text
    assert "Nhãn có thể bị sao chép" in text
    assert (
        f"Mã này đã được quét {SCAN_WARN_THRESHOLD + 1} lần, nhiều hơn mức bình thường của một "
        f"hộp hàng ({SCAN_WARN_THRESHOLD} lần)."
    ) in text
    assert ">Đã xác thực</h1>" in text  # the record is intact; the label is what is doubtful


def test_a_serial_never_printed_warns_on_the_first_scan(web: TestClient) -> None:
    text = scan(web, f"/l/{VERIFIED}/9999")
    assert CAUTION in text
    assert "Số sê-ri 9999 không có trong danh sách nhãn đã in cho lô này." in text
    english = scan(web, f"/l/{VERIFIED}/9998?lang=en")
    assert "Serial number 9998 was never printed for this lot." in english


def test_operators_crawlers_and_prefetches_are_not_scans(web: TestClient) -> None:
    path = f"/l/{VERIFIED}/0004"
    web.get(path, headers={**PHONE, "Authorization": "Bearer stk_operator"})
    web.get(path, headers={**PHONE, "Accept": "application/json", "Authorization": "Bearer x"})
    web.get(path, headers={"User-Agent": "curl/8.5.0"})
    web.get(path, headers={"User-Agent": "facebookexternalhit/1.1"})
    web.get(path, headers={**PHONE, "Sec-Purpose": "prefetch"})
    web.get(path, headers={"User-Agent": ""})
    assert web.head(path, headers=PHONE).status_code == 200  # link checkers probe with HEAD
    assert scan_line(scan(web, path)) == (
        f"Quét lần đầu ngày {today()}; đã quét 1 lần. Số sê-ri: 0004"
    )


def test_a_json_request_from_a_phone_app_counts(web: TestClient) -> None:
    response = web.get(f"/l/{VERIFIED}/0005", headers={**PHONE, "Accept": "application/json"})
    assert response.json()["verdict"] == "verified"
    assert "đã quét 2 lần" in scan(web, f"/l/{VERIFIED}/0005")


def test_a_lot_link_without_serial_records_and_shows_no_scans(
    web: TestClient, world_runtime: Runtime
) -> None:
    with Session(world_runtime.engine) as session:
        before = len(session.exec(select(Scan)).all())
    text = scan(web, f"/l/{CHILD}")
    assert scan_line(text) is None and CAUTION not in text
    with Session(world_runtime.engine) as session:
        assert len(session.exec(select(Scan)).all()) == before


def test_scan_rows_keep_no_address(web: TestClient, world_runtime: Runtime) -> None:
    scan(web, f"/l/{CHILD}/0006")
    with Session(world_runtime.engine) as session:
        (row,) = session.exec(select(Scan).where(Scan.serial == "0006")).all()
    assert row.client_kind == "mobile"
    assert re.fullmatch(r"[0-9a-f]{64}", row.client_digest)
    assert "testclient" not in row.model_dump_json()  # the TestClient's peer address
