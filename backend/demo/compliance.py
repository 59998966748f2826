"""The demo's compliance stories: an area near its cap, a borrowed code, an override, a confirmed
certificate, a recall.

* Area ``VN-DTCL-0107`` (0.15 ha of cát Chu mango, cap 1.8 t a season) holds one household plot,
  ``MX-XOAI-07``, whose 1,650 kg harvest puts it past 90 % of its cap.
* A lotus cooperative's new plot claims that code without being inside the area: its harvest is
  refused, and the refused claim is kept for the regulator.
* Farm ``MX-XOAI-03`` was sprayed two days ago (10-day interval); the quality office overrides
  the interval after a residue test, so lot ``XOAI-2606-02`` is harvested, and held.
* The quality office has checked ``MX-XOAI-03``'s VietGAP certificate with its issuer and
  confirms it (a signed review): pages read it "confirmed by" the office; the other farms'
  certificates stay self-declared.
* Lot ``QUYT-2606-03`` is split at the packing house, half sold on to the shop, then recalled;
  the recall itself notifies both downstream holders (packing house and shop).

Each part is idempotent, and signed with the demo organisations' own keys like the journeys.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from backend.db import session_scope
from backend.demo.cast import CONFIRMED_CERTIFICATE, PACKER, QUYT, REGULATOR, SEN, SHOP, XOAI
from backend.demo.signing import register_demo_keys, write_signed
from backend.demo.steps import (
    Harvest,
    Journey,
    Recall,
    Receive,
    Scene,
    Split,
    Transfer,
    When,
    record_journeys,
)
from backend.errors import InvalidInput
from backend.http.signed_writes import chain_facts
from backend.models import FarmDiaryEntry, Organisation, OrgRole
from backend.models_areas import AreaClaimRefusal
from backend.models_recall import RecallNotice
from backend.runtime import Runtime
from backend.services.catalog import farms
from backend.services.compliance import areas, claims, diary, inputs
from backend.services.ledger import lots
from backend.timeutil import utcnow

logger = logging.getLogger(__name__)

MANGO = "xoai-cat-chu"
AREA = "VN-DTCL-0107"
AREA_FARM = "MX-XOAI-07"
BORROWING_FARM = "TM-XOAI-99"
OVERRIDE_LOT = "XOAI-2606-02"
NEAR_CAP_LOT = "XOAI-2606-07"
NOTICE_LOT = "QUYT-2606-03"
RECALL_REASON = (
    "Lô vật tư Carbendazim bị nhà sản xuất thu hồi; mẫu quýt có dư lượng 0,4 mg/kg "
    "(phiếu 131/QLCL-2026). Ngừng bán, trả lại nơi mua."
)


@dataclass(frozen=True)
class DiaryInput:
    """The cooperative logs an input applied to its farm (the lot is not there yet)."""

    org: str
    farm: str
    at: When
    data: dict[str, Any] = field(default_factory=dict)

    def apply(self, scene: Scene, lot: str) -> str:
        application = inputs.input_application(applied_at=scene.at(self.at), **self.data)
        diary.record_input(
            scene.session,
            org=scene.orgs[self.org],
            farm_code=self.farm,
            application=application,
            settings=scene.runtime.settings,
        )
        return lot


@dataclass(frozen=True)
class Override:
    """The quality office lets the farm's next harvest through the running interval."""

    org: str
    farm: str
    reason: str

    def apply(self, scene: Scene, lot: str) -> str:
        diary.record_override(
            scene.session,
            org=scene.orgs[self.org],
            farm_code=self.farm,
            reason=self.reason,
            settings=scene.runtime.settings,
        )
        return lot


@dataclass(frozen=True)
class ConfirmCertificate:
    """The quality office confirms a farm's certificate it has checked with the issuer."""

    org: str
    farm: str
    scheme: str
    number: str
    note: str

    def apply(self, scene: Scene, lot: str) -> str:
        claims.record_review(
            scene.session,
            org=scene.orgs[self.org],
            farm_code=self.farm,
            scheme=self.scheme,
            number=self.number,
            confirm=True,
            text=self.note,
            settings=scene.runtime.settings,
        )
        return lot


@dataclass(frozen=True)
class RecallWithNotice:
    """The quality office recalls ``code``; the recall itself tells everyone holding a lot
    made from it (``compliance.notices.notify_recall``)."""

    org: str
    code: str
    at: When
    reason: str

    def apply(self, scene: Scene, lot: str) -> str:
        Recall(self.org, self.at, self.reason).apply(scene, self.code)
        return lot


#: Written before the harvest, in a write of their own (the harvest repeats them signed).
SPRAY_AND_OVERRIDE = (
    DiaryInput(
        XOAI,
        "MX-XOAI-03",
        (2, 7),
        {
            "product": "Amistar Top 325SC",
            "active_ingredient": "Azoxystrobin + Difenoconazole",
            "registration_number": "VN-BVTV-0457",
            "batch_number": "AT-2605-118",
            "dose": "10",
            "unit": "ml/bình 16 lít",
            "pre_harvest_interval_days": 10,
            "operator": "Trần Văn Bảy",
        },
    ),
    ConfirmCertificate(
        REGULATOR,
        *CONFIRMED_CERTIFICATE,
        "Đã đối chiếu với Quacert: chứng nhận còn hiệu lực (công văn 57/QLCL-2026).",
    ),
    Override(
        REGULATOR,
        "MX-XOAI-03",
        "Mẫu trái lấy ngày hôm qua không phát hiện dư lượng (phiếu 128/QLCL-2026); cho thu "
        "hoạch sớm để kịp lô xuất khẩu, lô được giữ tại kho đến khi hết thời gian cách ly.",
    ),
)
OVERRIDE = Journey(OVERRIDE_LOT, (Harvest(XOAI, MANGO, "MX-XOAI-03", "250", "kg", (0, 6)),))

NEAR_CAP = Journey(NEAR_CAP_LOT, (Harvest(XOAI, MANGO, AREA_FARM, "1650", "kg", (4, 6)),))

NOTICE = Journey(
    NOTICE_LOT,
    (
        Harvest(QUYT, "quyt-hong-lai-vung", "LH-QUYT-01", "500", "kg", (6, 7)),
        Transfer(QUYT, PACKER, (5, 8), "Giao 50 sọt quýt"),
        Receive(PACKER, (5, 10)),
        Split(PACKER, (("-A", "250"), ("-B", "250")), (4, 15), follow="-A"),
        Transfer(PACKER, SHOP, (3, 5), "125 hộp quà"),
        Receive(SHOP, (2, 7)),
        RecallWithNotice(REGULATOR, NOTICE_LOT, (1, 15), RECALL_REASON),
    ),
)


def load_compliance(runtime: Runtime) -> None:
    """The four stories, each added once."""
    with session_scope(runtime.engine) as session:
        _area(session)
    _spray_and_override(runtime)
    record_journeys(runtime, (NEAR_CAP, OVERRIDE, NOTICE))
    _borrowed_attempt(runtime)


def _spray_and_override(runtime: Runtime) -> None:
    """The spray and the override on MX-XOAI-03, once, signed by the demo keys."""
    with session_scope(runtime.engine) as session:
        done = session.exec(
            select(FarmDiaryEntry).where(FarmDiaryEntry.type == "phi_override")
        ).first()
        if done is not None:
            return
        orgs = [o for o in session.exec(select(Organisation)) if o.role is not OrgRole.ADMIN]
        keys = register_demo_keys(session, runtime.settings.data_dir, orgs)
        session.commit()
        now = utcnow()

        def play() -> None:
            by_slug = {o.slug: o for o in session.exec(select(Organisation))}
            scene = Scene(session=session, orgs=by_slug, runtime=runtime, now=now)
            for step in SPRAY_AND_OVERRIDE:
                step.apply(scene, OVERRIDE_LOT)

        write_signed(session, play, keys=keys, chain=chain_facts(runtime))


def _org(session: Session, slug: str) -> Organisation:
    org = session.exec(select(Organisation).where(Organisation.slug == slug)).one()
    return org


def _area(session: Session) -> None:
    if farms.get_farm_by_code(session, AREA_FARM) is None:
        farms.create_farm(
            session,
            org=_org(session, XOAI),
            code=AREA_FARM,
            name="Vườn hộ ông Bảy, ấp Mỹ Thới",
            commune="Mỹ Xương",
            area_ha="0.15",
            growing_area_code=AREA,
        )
    if areas.get_area(session, AREA) is None:
        areas.register_area(
            session,
            org=_org(session, REGULATOR),
            code=AREA,
            holder=XOAI,
            area_ha="0.15",
            crop=MANGO,
            markets=["CN", "US", "KR"],
            farms=[AREA_FARM],
            valid_from="2025-01-01",
            valid_until="2029-12-31",
        )
    if farms.get_farm_by_code(session, BORROWING_FARM) is None:
        farms.create_farm(
            session,
            org=_org(session, SEN),
            code=BORROWING_FARM,
            name="Vườn thu mua, kênh Tháp Mười",
            commune="Mỹ Hòa",
            growing_area_code=AREA,
        )


def _borrowed_attempt(runtime: Runtime) -> None:
    """A harvest claiming the area's code from outside it: refused, and the refusal kept."""
    with session_scope(runtime.engine) as session:
        tried = session.exec(
            select(AreaClaimRefusal).where(AreaClaimRefusal.farm_code == BORROWING_FARM)
        ).first()
        if tried is not None:
            return
        scene_now = Scene(session=session, orgs={}, runtime=runtime, now=utcnow())
        try:
            lots.create_harvest_lot(
                session,
                org=_org(session, SEN),
                product_code=MANGO,
                farm_code=BORROWING_FARM,
                quantity="500",
                unit="kg",
                harvested_at=scene_now.at((2, 8)),
                settings=runtime.settings,
            )
        except InvalidInput as refused:
            logger.info("demo: borrowed code refused as it should be: %s", refused.message)
        session.rollback()


def summary(session: Session) -> dict[str, int]:
    """Counts the demo tests read: overrides, refused claims, notices."""
    overrides = session.exec(
        select(FarmDiaryEntry).where(FarmDiaryEntry.type == "phi_override")
    ).all()
    refusals = session.exec(select(AreaClaimRefusal)).all()
    sent = session.exec(select(RecallNotice)).all()
    return {"overrides": len(overrides), "refusals": len(refusals), "notices": len(sent)}
