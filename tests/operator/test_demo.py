"""The Đồng Tháp demo on the in-process chain: verdicts, idempotency, GTINs, the label sheet."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from biip.gtin import Gtin
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlmodel import Session, col, select

from backend.app import create_app
from backend.config import Environment, Settings
from backend.demo import (
    LABEL_SHEET_COUNT,
    LABEL_SHEET_LOT,
    ORGS,
    DemoRefused,
    label_sheet_path,
    load_demo,
)
from backend.demo.cast import CONFIRMED_CERTIFICATE, PACKER, QUACERT, SHOP
from backend.demo.compliance import AREA, NOTICE_LOT, summary
from backend.models import Event, LabelSerial, Lot, Organisation, Product, Scan, User
from backend.models_areas import AreaClaimRefusal
from backend.models_recall import RecallNotice, RecallNotification
from backend.runtime import Runtime
from backend.services.accounts.users import authenticate
from backend.services.compliance import areas, mass_balance
from backend.services.verification.engine import verify_lot
from backend.timeutil import utcnow
from tests.qr.helpers import decode_qr_codes, pdf_pages


@pytest.fixture(scope="module")
def demo_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    data = tmp_path_factory.mktemp("demo")
    settings = Settings(data_dir=data, chain_rpc_url="memory", worker_enabled=False)
    runtime = Runtime.start(settings, start_worker=False)
    load_demo(runtime, announce=False)
    try:
        yield runtime
    finally:
        runtime.close()


def _counts(runtime: Runtime) -> tuple[int, ...]:
    with Session(runtime.engine) as session:
        return tuple(
            int(session.exec(select(func.count()).select_from(table)).one())
            for table in (Lot, Event, User, Product, LabelSerial, Scan)
        )


@pytest.mark.parametrize(
    ("code", "verdict"),
    [
        ("XOAI-2606-01", "verified"),
        ("XOAI-2606-01-P1", "verified"),
        ("QUYT-2606-01-A", "verified"),
        ("SEN-2606-01", "verified"),
        ("LUA-2606-01", "verified"),
        ("QUYT-2606-02", "recalled"),
    ],
)
def test_demo_lots_are_anchored_and_verify(demo_runtime: Runtime, code: str, verdict: str) -> None:
    with Session(demo_runtime.engine) as session:
        result = verify_lot(session, code=code, view=demo_runtime.chain_view())
        assert result is not None
        assert str(result.verdict) == verdict


def test_loading_the_demo_again_adds_nothing(demo_runtime: Runtime) -> None:
    before = _counts(demo_runtime)
    load_demo(demo_runtime, announce=False)
    assert _counts(demo_runtime) == before
    lots, events, users, products, serials, scans = before
    assert lots == 16 and users == len(ORGS) + 1 and products == 4
    assert events >= 40 and serials >= LABEL_SHEET_COUNT and scans > 0


def test_demo_gtins_are_vietnamese_with_valid_check_digits(demo_runtime: Runtime) -> None:
    with Session(demo_runtime.engine) as session:
        gtins = [p.gtin for p in session.exec(select(Product)) if p.gtin]
    assert len(gtins) == 3
    for gtin in gtins:
        parsed = Gtin.parse(gtin)  # raises on a wrong check digit
        assert gtin.lstrip("0").startswith("893")
        assert parsed.prefix is not None and "Vietnam" in parsed.prefix.usage


def test_demo_sign_ins_work(demo_runtime: Runtime) -> None:
    with Session(demo_runtime.engine) as session:
        for org in ORGS:
            signed = authenticate(
                session,
                username=org.username,
                password=org.password,
                address="127.0.0.1",
                settings=demo_runtime.settings,
            )
            assert signed.org.slug == org.slug


def test_demo_label_sheet_is_an_a4_pdf_of_scannable_codes(demo_runtime: Runtime) -> None:
    path = label_sheet_path(demo_runtime)
    assert path.parent == Path(demo_runtime.settings.data_dir)
    ((size, image),) = pdf_pages(path.read_bytes(), 300)
    assert (round(size[0]), round(size[1])) == (210, 297)
    codes = decode_qr_codes(image)
    assert len(codes) == LABEL_SHEET_COUNT
    base = demo_runtime.settings.public_base_url
    assert all(
        code.startswith(f"{base}/01/0893") and f"/10/{LABEL_SHEET_LOT}/21/" in code
        for code in codes
    )


def test_demo_is_refused_in_production(tmp_path: Path) -> None:
    settings = Settings.model_construct(
        **{**Settings(data_dir=tmp_path).model_dump(), "env": Environment.PRODUCTION}
    )
    runtime = Runtime.create(settings)
    try:
        with pytest.raises(DemoRefused):
            load_demo(runtime, announce=False)
        with Session(runtime.engine) as session:
            assert session.exec(select(User)).first() is None
    finally:
        runtime.close()


def test_demo_has_an_area_near_its_cap_a_borrowed_code_an_override_and_a_notice(
    demo_runtime: Runtime,
) -> None:
    with Session(demo_runtime.engine) as session:
        # Each of the demo's two recalls tells its holders by itself.
        assert summary(session) == {"overrides": 1, "refusals": 1, "notices": 2}
        area = areas.get_area(session, AREA)
        assert area is not None
        found = mass_balance.balance(session, area, mass_balance.season_of(utcnow()))
        assert mass_balance.WARN_SHARE < found.share < 1
        [refused] = session.exec(select(AreaClaimRefusal)).all()
        assert (refused.kind, refused.farm_code) == ("not_member", "TM-XOAI-99")
        notified = session.exec(
            select(RecallNotification)
            .join(RecallNotice, col(RecallNotice.id) == col(RecallNotification.notice_id))
            .where(RecallNotice.source_ref == NOTICE_LOT)
        ).all()
        holders = {session.get(Organisation, n.org_id).slug for n in notified}  # type: ignore[union-attr]
        assert holders == {"sadec-packhouse", "hcm-nong-san-sach"}
        held = verify_lot(session, code="XOAI-2606-02", view=demo_runtime.chain_view())
        assert held is not None and str(held.verdict) == "verified"


def test_demo_shows_each_state_of_two_step_custody(demo_runtime: Runtime) -> None:
    """Transfers are received, the rice was refused once, the lotus seeds are still in transit."""
    with Session(demo_runtime.engine) as session:
        orgs = {o.id: o.slug for o in session.exec(select(Organisation))}
        lots = {lot.code: lot for lot in session.exec(select(Lot))}
        kinds = {
            code: [str(e.type) for e in session.exec(select(Event).where(Event.lot_id == lot.id))]
            for code, lot in lots.items()
        }
    lotus, mango = lots["SEN-2606-01"], lots["XOAI-2606-01"]
    assert orgs[lotus.custodian_org_id] == PACKER and orgs.get(lotus.in_transit_to or 0) == SHOP
    assert kinds["SEN-2606-01"][-1] == "transfer"
    assert [k for k in kinds["LUA-2606-01"] if k.startswith("transfer")] == [
        "transfer",
        "transfer_refused",
        "transfer",
        "transfer_received",
    ]
    assert mango.in_transit_to is None and "transfer_received" in kinds["XOAI-2606-01"]
    assert all(lot.in_transit_to is None for code, lot in lots.items() if code != "SEN-2606-01")


def test_demo_has_a_confirmed_certificate_and_a_self_declared_one(demo_runtime: Runtime) -> None:
    """The quality office confirmed the mango farm's VietGAP; the mandarin farm's is stated by
    its cooperative alone. Both as the public lot API judges them, from the signed review."""
    with TestClient(create_app(demo_runtime)) as client:
        mango = client.get("/api/v1/lots/XOAI-2606-02").json()["farm"]["certifications"]
        mandarin = client.get(f"/api/v1/lots/{NOTICE_LOT}").json()
    [vietgap] = mango
    assert vietgap["number"] == CONFIRMED_CERTIFICATE[2] and vietgap["issuer"] == QUACERT
    assert (vietgap["status"], vietgap["confirmed_by"]) == (
        "confirmed",
        "Chi cục Quản lý chất lượng Nông lâm sản và Thủy sản Đồng Tháp",
    )
    assert mandarin["farm"]["certifications"][0]["status"] == "self_declared"


@pytest.mark.parametrize("code", ["XOAI-2606-01", "QUYT-2606-01-A", "LUA-2606-01"])
def test_every_event_on_a_demo_page_names_its_signer_as_the_chain_confirms(
    demo_runtime: Runtime, code: str
) -> None:
    """The demo's events are signed by its organisations' own keys: each entry of the journey
    says who signed it and with which key, and who holds that key."""
    with Session(demo_runtime.engine) as session:
        result = verify_lot(session, code=code, view=demo_runtime.chain_view())
    assert result is not None
    with TestClient(create_app(demo_runtime)) as client:
        page = client.get(f"/l/{code}")
    assert page.status_code == 200
    shown = len(result.lot.events) + sum(len(a.events) for a in result.ancestors)
    assert page.text.count('<p class="signer">') == shown, "an event of the journey names no signer"
    assert "Ký bởi " in page.text and ", khoá 0x" in page.text
    assert "ký bởi nền tảng" not in page.text  # no demo organisation's key is custodial
