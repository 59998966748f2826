"""The demo's printed labels after the journeys: consumer scans of them, and a sheet to scan.

Scans give the dashboard chart something to draw; the A4 sheet of the mango pallet's labels
lets whoever runs the demo scan a real code off the screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from sqlmodel import Session, col, select

from backend.db import session_scope
from backend.models import Farm, LabelSerial, Product, Scan
from backend.runtime import Runtime
from backend.services.accounts.server_secret import resolve_secret
from backend.services.labels import printing
from backend.services.labels.scans import ClientKind, client_digest, digest_key, record_scan
from backend.services.ledger.queries import get_lot_by_code
from backend.timeutil import utcnow
from qr import render_labels

LABEL_SHEET_LOT = "XOAI-2606-01-P1"
LABEL_SHEET_COUNT = 24

#: Consumer scans to show on the dashboard: (lot, serial numbers, scans of each).
SCANS: tuple[tuple[str, int, int], ...] = (
    (LABEL_SHEET_LOT, 9, 2),
    ("QUYT-2606-01-A", 6, 1),
    ("SEN-2606-01", 3, 1),
)


def _first_serials(session: Session, lot_id: int | None, count: int) -> Sequence[str]:
    return session.exec(
        select(LabelSerial.serial)
        .where(LabelSerial.lot_id == lot_id)
        .order_by(col(LabelSerial.serial))
        .limit(count)
    ).all()


def record_scans(runtime: Runtime) -> None:
    """A few consumer scans of printed serials, once per lot, from documentation addresses."""
    key = digest_key(resolve_secret(runtime.settings))
    with session_scope(runtime.engine) as session:
        for code, serial_count, per_serial in SCANS:
            lot = get_lot_by_code(session, code)
            if lot is None or session.exec(select(Scan).where(Scan.lot_id == lot.id)).first():
                continue
            assert lot.id is not None
            for index, serial in enumerate(_first_serials(session, lot.id, serial_count)):
                for repeat in range(per_serial):
                    address = f"198.51.100.{(index * 7 + repeat * 3) % 250 + 1}"
                    record_scan(
                        session,
                        lot_id=lot.id,
                        serial=serial,
                        client_kind=ClientKind.MOBILE,
                        client_digest=client_digest(address, key=key),
                        at=utcnow() - timedelta(hours=6 * index + repeat + 1),
                    )


def label_sheet_path(runtime: Runtime) -> Path:
    """Where the sheet is written: in the data directory, so a second load finds it."""
    return Path(runtime.settings.data_dir) / f"demo-labels-{LABEL_SHEET_LOT}.pdf"


def write_label_sheet(runtime: Runtime) -> Path | None:
    """An A4 sheet of the pallet's serialised labels, as printed at Sa Đéc, to scan on screen."""
    path = label_sheet_path(runtime)
    if path.exists():
        return path
    with Session(runtime.engine) as session:
        lot = get_lot_by_code(session, LABEL_SHEET_LOT)
        if lot is None:
            return None
        product = session.get(Product, lot.product_id)
        farm = session.get(Farm, lot.farm_id) if lot.farm_id is not None else None
        assert product is not None
        sheet = [
            printing.label_data(
                lot=lot,
                product=product,
                farm=farm,
                serial=serial,
                base_url=runtime.settings.public_base_url,
            )
            for serial in _first_serials(session, lot.id, LABEL_SHEET_COUNT)
        ]
    rendered = render_labels(sheet, layout="a4", fmt="pdf")
    partial = path.with_suffix(".pdf.part")
    partial.write_bytes(rendered.content)
    partial.replace(path)
    return path
