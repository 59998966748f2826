"""Loading the demo: the cast, then the journeys, scans and label sheet, then anchoring.

Each part is idempotent on its own, so :func:`load_demo` may run at every start. Demo sign-ins
have published passwords: loading the demo is refused in production.
"""

from __future__ import annotations

import logging
from pathlib import Path

from backend.chain import ChainError
from backend.config import Environment
from backend.db import session_scope
from backend.demo.cast import ADMIN_LOGIN, ORGS, ensure_cast
from backend.demo.compliance import load_compliance
from backend.demo.journeys import JOURNEYS, RECALLED_LOT
from backend.demo.labels import LABEL_SHEET_LOT, record_scans, write_label_sheet
from backend.demo.steps import record_journeys
from backend.errors import ServiceUnavailable
from backend.i18n.messages import message
from backend.runtime import Runtime

logger = logging.getLogger(__name__)


class DemoRefused(RuntimeError):
    """Raised when the demo (with its published passwords) would be loaded in production."""


def load_demo(runtime: Runtime, *, anchor: bool = True, announce: bool = True) -> None:
    """Load the demo data set into ``runtime`` (idempotent) and print where to sign in."""
    if runtime.settings.env is Environment.PRODUCTION:
        raise DemoRefused(message("demo.refused"))
    with session_scope(runtime.engine) as session:
        ensure_cast(session)
    made = record_journeys(runtime, JOURNEYS)
    load_compliance(runtime)
    record_scans(runtime)
    sheet = write_label_sheet(runtime)
    anchored = anchor_everything(runtime) if anchor and runtime.chain is not None else False
    logger.info("demo loaded: %d new journeys, anchored=%s", made, anchored)
    if announce:
        print(demo_banner(runtime, sheet), flush=True)


def anchor_everything(runtime: Runtime) -> bool:
    """Anchor what is pending now (the worker would, but the demo should read ``verified``)."""
    try:
        for _ in range(20):
            report = runtime.anchoring.run_once(force=True, wait=True)
            if not report.more_work:
                return True
    except (ChainError, ServiceUnavailable) as exc:  # the server must still start
        logger.warning("demo data not anchored yet (%s); the worker will retry", exc)
        return False
    return True


def demo_banner(runtime: Runtime, sheet: Path | None) -> str:
    """The start-up text: where the app is, who can sign in, where the label sheet is."""
    base = runtime.settings.public_base_url
    links = [
        (message("demo.operator_app"), f"{base}/app/login"),
        (message("demo.consumer"), f"{base}/l/{LABEL_SHEET_LOT}"),
        (message("demo.recalled_lot"), f"{base}/l/{RECALLED_LOT}"),
        ("API", f"{base}/docs"),
    ]
    lines = ["", message("demo.title")]
    lines += [f"  {label + ':':<35} {url}" for label, url in links]
    lines += ["", f"  {message('demo.sign_ins')}:"]
    for org in ORGS:
        login = f"{org.username} / {org.password}"
        lines.append(f"    {login:<28} {org.name}")
    admin = f"{ADMIN_LOGIN[0]} / {ADMIN_LOGIN[1]}"
    lines.append(f"    {admin:<28} {message('demo.platform_admin')}")
    if sheet is not None:
        lines += ["", f"  {message('demo.label_sheet')}: {sheet}"]
    lines.append("")
    return "\n".join(lines)
