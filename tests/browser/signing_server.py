"""A live app for the signing tests: an in-process chain, one browser-held cooperative, no lots.

The cooperative's organisation keeps its keys in its people's browsers (``key_custody``
"browser"); it has a farm and a product so a harvest can be recorded through the form, and no
event yet (every event would need a signature). A regulator, its keys also in the browser,
signs recalls.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from backend.db import session_scope
from backend.runtime import Runtime
from backend.services.accounts.orgs import create_organisation
from backend.services.accounts.users import create_user
from backend.services.catalog.farms import create_farm
from backend.services.catalog.products import create_product
from tests.support.app import make_settings
from tests.web.live import serving

PASSWORD = "mat-khau-dong-thap"
COOP_SLUG = "htx-xoai-my-xuong"
COOP_USER = "tu.nguyen"
SECOND_USER = "lan.tran"
THIRD_USER = "hai.le"
FOURTH_USER = "nam.vo"
REGULATOR_SLUG = "chi-cuc-qlcl"
REGULATOR_USER = "thanh.tra"
PRODUCT = "xoai-cat-chu"
FARM = "MX-01"
#: A second orchard, where the field app's input application goes: an input with a running
#: pre-harvest interval on FARM would refuse every later harvest there.
DIARY_FARM = "MX-02"


@dataclass(frozen=True)
class SigningServer:
    url: str
    runtime: Runtime


def _populate(runtime: Runtime) -> None:
    with session_scope(runtime.engine) as session:
        coop, _ = create_organisation(
            session,
            slug=COOP_SLUG,
            name="HTX Xoài Mỹ Xương",
            role="cooperative",
            key_custody="browser",
        )
        for username in (COOP_USER, SECOND_USER, THIRD_USER, FOURTH_USER):
            create_user(session, org_slug=COOP_SLUG, username=username, password=PASSWORD)
        create_organisation(
            session,
            slug=REGULATOR_SLUG,
            name="Chi cục Quản lý chất lượng Đồng Tháp",
            role="regulator",
            key_custody="browser",
        )
        create_user(session, org_slug=REGULATOR_SLUG, username=REGULATOR_USER, password=PASSWORD)
        create_farm(session, org=coop, code=FARM, name="Vườn ông Tư", commune="Mỹ Xương")
        create_farm(session, org=coop, code=DIARY_FARM, name="Vườn bà Năm", commune="Mỹ Xương")
        create_product(
            session, org=coop, code=PRODUCT, name_vi="Xoài cát Chu", name_en="Cat Chu mango"
        )


def signing_server(data_root: Path) -> Iterator[SigningServer]:
    """Starts the app (rate limits off) and yields it until the generator is closed."""
    url = f"sqlite:///{(data_root / 'ledger.db').as_posix()}"
    settings = make_settings(data_root / "data", url, rate_limit_per_minute=0)
    runtime = Runtime.start(settings, start_worker=False)
    try:
        _populate(runtime)
        with serving(runtime) as base:
            yield SigningServer(url=base, runtime=runtime)
    finally:
        runtime.close()
