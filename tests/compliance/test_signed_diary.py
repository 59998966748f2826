"""Diary entries go through the signed-write protocol: a client-held cooperative signs its
input application and a client-held regulator its override; the platform cannot write either."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from backend.hashing import event_hash, to_hex
from backend.hashing.diary import diary_key
from backend.hashing.eip712 import recover_signer
from backend.runtime import Runtime
from tests.compliance.test_season_diary_api import spray
from tests.support.signing import Signers, signed_headers


@pytest.fixture
def runtime(chain_runtime: Runtime) -> Runtime:
    return chain_runtime


@pytest.fixture
def signers(client: TestClient) -> Signers:
    made = Signers(client)
    made.org("htx", "cooperative", "HTX Mỹ Xương")
    made.org("ql", "regulator", "Chi cục QLCL")
    made.post("/api/v1/farms", "htx", {"code": "F-01", "name": "Vườn", "commune": "Mỹ Xương"})
    return made


def test_an_input_is_drafted_then_stored_with_the_cooperatives_signature(
    signers: Signers,
) -> None:
    first = signers.ask("/api/v1/farms/F-01/inputs", "htx", spray())
    assert first.status_code == 428, first.text
    [item] = first.json()["draft"]["sign"]
    assert item["kind"] == "event" and item["lot"] == "farm/F-01" and item["seq"] == 1
    assert item["typed_data"]["message"]["lotKey"] == to_hex(diary_key("F-01"))
    assert to_hex(event_hash(item["document"])) == item["event_hash"]
    listed = signers.client.get("/api/v1/farms/F-01/inputs", headers=signers.headers["htx"])
    assert listed.json() == []  # nothing stored before the signature

    stranger = Account.create()
    forged = signers.client.post(
        "/api/v1/farms/F-01/inputs",
        json=spray(),
        headers={**signers.headers["htx"], **signed_headers(first.json()["draft"], stranger)},
    )
    assert forged.status_code == 422 and forged.json()["field"] == "signatures[0]"

    done = signers.send("/api/v1/farms/F-01/inputs", "htx", spray(), first.json()["draft"])
    assert done.status_code == 201, done.text
    entry = done.json()
    assert entry["entry_hash"] == item["event_hash"]
    assert recover_signer(item["typed_data"], entry["signature"]) == signers.keys["htx"].address


def test_an_override_is_signed_by_the_regulators_key(signers: Signers) -> None:
    applied = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    signers.post(
        "/api/v1/farms/F-01/inputs", "htx", spray(applied_at=applied.strftime("%Y-%m-%dT%H:%M:%SZ"))
    )
    body = {"reason": "Mẫu dư lượng đạt"}
    asked = signers.ask("/api/v1/farms/F-01/phi-overrides", "ql", body)
    assert asked.status_code == 428
    done = signers.send("/api/v1/farms/F-01/phi-overrides", "ql", body, asked.json()["draft"])
    assert done.status_code == 201, done.text
    [item] = asked.json()["draft"]["sign"]
    assert (
        recover_signer(item["typed_data"], done.json()["signature"]) == signers.keys["ql"].address
    )
    assert done.json()["document"]["seq"] == 2
