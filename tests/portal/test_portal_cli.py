"""``sentrace export portal``: a lot's Circular 02/2024/TT-BKHCN items for the national portal,
from verified data only, through the real command over a real database and in-process chain."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from typer.testing import CliRunner

import backend.cli_operator
import backend.cli_portal
from backend.app import create_app
from backend.cli import app as cli
from backend.runtime import Runtime
from backend.services.interop.portal import ITEM_KEYS, PortalRecord
from backend.services.interop.portal_publish import PortalPublisher, PublishReceipt, render
from qr.gtin import vietnam_gtin
from tests.qr.helpers import decode_qr_codes
from tests.support.app import Actors, make_settings
from tests.web.scenario import anchor_everything

GTIN = vietnam_gtin("8935049", 5)
VERIFIED = "XOAI-PORTAL-1"
PLAIN = "BUOI-PORTAL-1"
RECALLED = "XOAI-PORTAL-R"
PENDING = "XOAI-PORTAL-P"
PHOTO = "https://anh.example.vn/xoai-portal-1.jpg"
CHILD = "XOAI-PORTAL-1A"


def _world(actors: Actors, runtime: Runtime) -> None:
    actors.org("htx", "cooperative", "HTX Mỹ Xương")
    actors.org("ql", "regulator", "Chi cục QLCL")
    actors.gs1_prefix("htx", "8935049")
    farm = {"code": "F-01", "name": "Vườn ông Tư", "commune": "Mỹ Xương"}
    actors.post("/api/v1/farms", "htx", {**farm, "growing_area_code": "VN-DTMX-0123"})
    product = {"code": "xoai", "name_vi": "Xoài cát Hòa Lộc", "gtin": GTIN}
    actors.post("/api/v1/products", "htx", product)
    actors.post("/api/v1/products", "htx", {"code": "buoi", "name_vi": "Bưởi Năm Roi"})
    for code, product_code in ((VERIFIED, "xoai"), (PLAIN, "buoi"), (RECALLED, "xoai")):
        body = {"code": code, "product": product_code, "farm": "F-01", "quantity": "500"}
        actors.post("/api/v1/lots", "htx", {**body, "unit": "kg", "harvested_at": HARVESTED})
    check = {"result": "pass", "photo": PHOTO, "best_before": "2026-06-15"}
    event = {"type": "quality_check", "occurred_at": "2026-05-01T09:00:00+07:00", "data": check}
    actors.post(f"/api/v1/lots/{VERIFIED}/events", "htx", event)
    split = {"children": [{"code": CHILD, "quantity": "100"}]}
    actors.post(f"/api/v1/lots/{VERIFIED}/split", "htx", split)
    actors.post(f"/api/v1/lots/{RECALLED}/recall", "ql", {"reason": "Dư lượng vượt ngưỡng"})
    anchor_everything(runtime)
    body = {"code": PENDING, "product": "xoai", "farm": "F-01", "quantity": "5", "unit": "kg"}
    actors.post("/api/v1/lots", "htx", {**body, "harvested_at": HARVESTED})


HARVESTED = "2026-05-01T06:30:00+07:00"


@contextmanager
def _runtime(root: Path, **overrides: Any) -> Iterator[Runtime]:
    settings = make_settings(
        root / "data",
        f"sqlite:///{(root / 'ledger.db').as_posix()}",
        chain_rpc_url="memory",
        rate_limit_per_minute=0,
        **overrides,
    )
    runtime = Runtime.start(settings, start_worker=False)
    try:
        yield runtime
    finally:
        runtime.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    with _runtime(tmp_path_factory.mktemp("portal")) as runtime:
        with TestClient(create_app(runtime)) as client:
            _world(Actors(client), runtime)
        yield runtime


@pytest.fixture
def use_world(world: Runtime, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    """The command's runtime is the world's (its database and the chain holding its anchors)."""

    @contextmanager
    def factory() -> Iterator[Runtime]:
        yield world

    monkeypatch.setattr(backend.cli_portal, "RUNTIME_FACTORY", factory)
    return world


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, ["export", "portal", *args])


def test_a_verified_lot_exports_every_item_as_json_on_stdout(use_world: Runtime) -> None:
    result = run("--lot", VERIFIED)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["items"] == {
        "product_name": "Xoài cát Hòa Lộc",
        "image": PHOTO,
        "producer": "HTX Mỹ Xương",
        "address": "Mỹ Xương, Đồng Tháp",
        "production_time": body["items"]["production_time"],
        "product_trace_code": VERIFIED,
        "location_trace_code": "VN-DTMX-0123",
        "brand_or_serial": GTIN,
        "shelf_life": "2026-06-15",
    }
    assert body["items"]["production_time"].startswith("2026-04-30T23:30:00")
    assert (body["verdict"], body["missing"], body["lot"]) == ("verified", [], VERIFIED)
    assert body["trace_url"].endswith(f"/01/{GTIN}/10/{VERIFIED}")
    assert body["item_names"]["location_trace_code"] == {
        "vi": "Mã truy vết địa điểm",
        "en": "Location trace code",
    }


def test_a_split_lot_takes_its_image_and_shelf_life_from_the_lot_it_came_from(
    use_world: Runtime,
) -> None:
    result = run("--lot", CHILD)
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)["items"]
    assert (items["image"], items["shelf_life"]) == (PHOTO, "2026-06-15")
    assert (items["product_trace_code"], items["location_trace_code"]) == (CHILD, "VN-DTMX-0123")


def test_csv_goes_to_the_file_named_with_one_row_of_items(
    use_world: Runtime, tmp_path: Path
) -> None:
    out = tmp_path / "portal.csv"
    result = run("--lot", PLAIN, "--format", "csv", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "portal.csv" in result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 1
    row = rows[0]
    assert list(row) == ["lot", *ITEM_KEYS, "trace_url"]
    assert (row["lot"], row["product_name"], row["brand_or_serial"]) == (
        PLAIN,
        "Bưởi Năm Roi",
        "buoi",  # no GTIN: the product's character code
    )
    assert (row["image"], row["shelf_life"]) == ("", "")  # nothing stated, nothing made up
    assert row["trace_url"].endswith(f"/l/{PLAIN}")


@pytest.mark.parametrize(
    ("lot", "said"),
    [
        ("NO-SUCH-LOT", "Không có lô hàng NO-SUCH-LOT / there is no lot NO-SUCH-LOT"),
        (PENDING, f"lot {PENDING} is not verified (verdict: pending)"),
        (RECALLED, f"lot {RECALLED} is not verified (verdict: recalled)"),
    ],
)
def test_an_unknown_or_unverified_lot_exits_1_saying_why(
    use_world: Runtime, lot: str, said: str
) -> None:
    result = run("--lot", lot)
    assert result.exit_code == 1
    assert said in result.stderr
    assert result.stdout == ""


def test_a_lot_recorded_under_proof_rules_v1_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with _runtime(tmp_path, event_schema=1) as runtime:
        with TestClient(create_app(runtime)) as client:
            actors = Actors(client)
            actors.org("htx", "cooperative", "HTX Mỹ Xương")
            actors.post("/api/v1/products", "htx", {"code": "buoi", "name_vi": "Bưởi Năm Roi"})
            farm = {"code": "F-01", "name": "Vườn ông Tư", "commune": "Mỹ Xương"}
            actors.post("/api/v1/farms", "htx", farm)
            body = {"code": "V1-LOT", "product": "buoi", "farm": "F-01", "quantity": "5"}
            actors.post("/api/v1/lots", "htx", {**body, "unit": "kg", "harvested_at": HARVESTED})
            anchor_everything(runtime)

        @contextmanager
        def factory() -> Iterator[Runtime]:
            yield runtime

        monkeypatch.setattr(backend.cli_portal, "RUNTIME_FACTORY", factory)
        result = run("--lot", "V1-LOT")
    assert result.exit_code == 1
    assert "lot V1-LOT was recorded under proof rules v1" in result.stderr


def test_a_file_that_cannot_be_written_exits_1_naming_it(
    use_world: Runtime, tmp_path: Path
) -> None:
    out = tmp_path / "no-such-folder" / "portal.json"
    result = run("--lot", VERIFIED, "--output", str(out))
    assert result.exit_code == 1
    assert f"cannot write the file: {out}: No such file or directory" in result.stderr


def test_a_bad_format_exits_2_before_anything_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_runtime() -> Any:
        raise AssertionError("a bad format must be refused before the runtime is opened")

    monkeypatch.setattr(backend.cli_portal, "RUNTIME_FACTORY", no_runtime)
    result = run("--lot", VERIFIED, "--format", "xml")
    assert result.exit_code == 2
    assert "unknown export format: 'xml' (json, csv) (format)" in result.stderr


class Collecting:
    """A publisher of the kind a portal push client would be: it keeps what it is given."""

    def __init__(self) -> None:
        self.sent: list[PortalRecord] = []

    def publish(self, record: PortalRecord) -> PublishReceipt:
        self.sent.append(record)
        return PublishReceipt(destination="portal", size=len(render(record, "json")))


def test_any_portal_publisher_takes_the_record(use_world: Runtime) -> None:
    publisher: PortalPublisher = Collecting()
    record = PortalRecord(
        lot="L", items=dict.fromkeys(ITEM_KEYS), trace_url="https://x/l/L", verdict="verified"
    )
    receipt = backend.cli_portal._publish(publisher, record)
    assert receipt.destination == "portal"
    assert record.missing == list(ITEM_KEYS)


def test_sentrace_labels_for_export_dates_the_code_of_a_complete_lot_and_refuses_others(
    world: Runtime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``sentrace labels --export``: the command line's way to the export check of the API."""
    monkeypatch.setattr(backend.cli_operator, "get_settings", lambda: world.settings)
    png = tmp_path / "export.png"
    command = ["labels", VERIFIED, "-o", str(png), "--format", "png", "--export"]
    printed = CliRunner().invoke(cli, command)
    assert printed.exit_code == 0, printed.output
    [uri] = decode_qr_codes(Image.open(png))
    assert f"/01/{GTIN}/10/{VERIFIED}?" in uri and "7007=" in uri and "15=260615" in uri

    refused = CliRunner().invoke(cli, ["labels", PLAIN, "-o", str(tmp_path / "x.pdf"), "--export"])
    assert refused.exit_code == 1
    assert "Thông tư 02/2024/TT-BKHCN" in refused.output and "(export)" in refused.output
    assert not (tmp_path / "x.pdf").exists()
