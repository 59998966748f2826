"""Every lot of the Đồng Tháp demo exports as valid EPCIS 2.0, each eventID its CBV hash.

Slow: loading the demo signs, anchors and verifies a whole season on the in-process chain.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from backend.app import create_app
from backend.config import Settings
from backend.demo import load_demo
from backend.models import Lot
from backend.runtime import Runtime
from backend.services.interop.epcis.event_hash import PROOF_MEMBER, event_id
from backend.services.interop.epcis.validation import errors_of
from tests.interop.epcis_support import gs1_validator

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("demo"), chain_rpc_url="memory", worker_enabled=False
    )
    runtime = Runtime.start(settings, start_worker=False)
    load_demo(runtime, announce=False)
    try:
        with TestClient(create_app(runtime)) as client:
            yield client
    finally:
        runtime.close()


def test_every_demo_lot_exports_valid_epcis(demo: TestClient) -> None:
    runtime: Runtime = demo.app.state.runtime  # type: ignore[attr-defined]
    with Session(runtime.engine) as session:
        codes = list(session.exec(select(Lot.code).order_by(col(Lot.id))).all())
    assert len(codes) >= 5
    verified = 0
    for code in codes:
        response = demo.get(f"/api/v1/lots/{code}/epcis?ancestry=true")
        assert response.status_code == 200, (code, response.text)
        document = response.json()
        assert errors_of(document) == [], code
        assert errors_of(document, gs1_validator()) == [], code
        for event in document["epcisBody"]["eventList"]:
            bare = {k: v for k, v in event.items() if k not in (PROOF_MEMBER, "eventID")}
            assert event["eventID"] == event_id(bare, document["@context"]), code
            verified += event[PROOF_MEMBER]["verdict"] == "verified"
    assert verified > 0  # the demo anchors: exported events carry their Merkle proofs
