"""Signed writes run against the in-process chain: statements are signed for its registry."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from backend.runtime import Runtime
from tests.support.signing import Signers


@pytest.fixture
def runtime(chain_runtime: Runtime) -> Runtime:
    return chain_runtime


@pytest.fixture
def signers(client: TestClient) -> Signers:
    """``htx`` (cooperative, farm F-01, product xoai), ``dg`` (packer) and ``ql`` (regulator),
    each holding its own key; ``kho`` a custodial packer."""
    made = Signers(client)
    made.org("htx", "cooperative", "HTX Mỹ Xương")
    made.org("dg", "packer", "Đóng gói Sa Đéc")
    made.org("ql", "regulator", "Chi cục QLCL")
    made.org("kho", "packer", "Kho Lai Vung", custody="custodial")
    made.post("/api/v1/farms", "htx", {"code": "F-01", "name": "Vườn", "commune": "Mỹ Xương"})
    made.post("/api/v1/products", "htx", {"code": "xoai", "name_vi": "Xoài cát Hòa Lộc"})
    return made
