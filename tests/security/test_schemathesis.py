"""Schemathesis over the whole OpenAPI schema: no 500, every API error a JSON body.

The app runs in process (ASGI) on SQLite with the in-process chain; a small world exists so
that generated requests can reach real rows (lot ``SCH-1``, farm ``F-01``, product ``xoai``).
Each request carries the key of the organisation most likely to get past the gates for its
path (the admin for organisations, keys and "anchor now", the regulator for recalls, the
cooperative holding the lots for everything else), so write endpoints are exercised beyond
401 and 403. Both valid and invalid inputs are generated, a bounded number per operation.

Consumer pages (``/01/…``, ``/l/…``) answer browsers in HTML, so for them an error need only
not be a bare 500 page; every ``/api/`` error must be JSON with a ``detail``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from backend.app import create_app
from backend.runtime import Runtime
from tests.support.app import ADMIN, make_settings

#: Generated cases per operation and mode (positive, negative): bounded to keep CI time sane.
MAX_EXAMPLES = 20


@dataclass
class World:
    app: FastAPI
    headers: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root: Path = tmp_path_factory.mktemp("schemathesis")
    settings_ = make_settings(
        root / "data", f"sqlite:///{root / 'ledger.db'}", rate_limit_per_minute=0
    )
    runtime = Runtime.start(settings_, start_worker=False)
    try:
        app = create_app(runtime)
        headers = {"admin": ADMIN}
        with TestClient(app) as client:
            for slug, role in (("htx", "cooperative"), ("ql", "regulator")):
                body = {"slug": slug, "name": slug, "role": role, "key_custody": "custodial"}
                made = client.post("/api/v1/orgs", json=body, headers=ADMIN).json()
                headers[slug] = {"Authorization": f"Bearer {made['api_key']}"}
            farm = {"code": "F-01", "name": "Vườn ông Tư", "commune": "Mỹ Xương"}
            client.post("/api/v1/farms", json=farm, headers=headers["htx"])
            prefix = {"prefix": "8935000", "licence": "GS1 Việt Nam"}
            client.post("/api/v1/orgs/htx/gs1-prefixes", json=prefix, headers=ADMIN)
            product = {"code": "xoai", "name_vi": "Xoài", "gtin": "08935000000014"}
            client.post("/api/v1/products", json=product, headers=headers["htx"])
            for code in ("SCH-1", "SCH-2"):
                lot = {
                    "code": code,
                    "product": "xoai",
                    "farm": "F-01",
                    "quantity": "100",
                    "unit": "kg",
                    "harvested_at": "2026-05-01T06:30:00Z",
                }
                client.post("/api/v1/lots", json=lot, headers=headers["htx"])
            runtime.anchoring.run_once(force=True, wait=True)
        yield World(app, headers)
    finally:
        runtime.close()


@pytest.fixture(scope="module")
def api_schema(world: World) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", world.app)


def credentials(world: World, path: str) -> dict[str, str]:
    if (path.startswith("/api/v1/orgs") and path != "/api/v1/orgs/me") or path == "/api/v1/anchor":
        return world.headers["admin"]
    if path.endswith("/recall"):
        return world.headers["ql"]
    return world.headers["htx"]


def problem_with(case: Any, world: World, seen: Counter[tuple[str, int]]) -> str | None:
    """Why the answer to ``case`` breaks the rules, or None; counts the answer in ``seen``."""
    headers = {**(case.headers or {}), **credentials(world, case.path)}
    response = case.call(headers=headers)
    seen[(f"{case.method} {case.path}", response.status_code)] += 1
    where = f"{case.method} {case.formatted_path}"
    if response.status_code >= 500:
        return f"{where} -> {response.status_code}: {response.text[:300]}"
    if response.status_code >= 400 and case.path.startswith("/api/"):
        content_type = str(response.headers.get("content-type", [""])[0])
        if not content_type.startswith("application/json"):
            return f"{where} -> {response.status_code} as {content_type}"
        body = json.loads(response.text)
        if not isinstance(body, dict) or "detail" not in body:
            return f"{where} -> {response.status_code} without detail: {body!r}"
    return None


@pytest.mark.slow  # every operation, fuzzed: about forty seconds on two cores
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_no_operation_answers_500_and_api_errors_are_json(
    api_schema: Any, world: World, mode: GenerationMode
) -> None:
    problems: list[str] = []
    seen: Counter[tuple[str, int]] = Counter()
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20, [op.label for op in operations]
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            problem = problem_with(case, world, seen)
            if problem is not None:
                problems.append(problem)

        try:
            run()
        except Unsatisfiable:  # nothing to negate (no parameters, no body): positive covers it
            assert mode is GenerationMode.NEGATIVE, operation.label
    assert not problems, "\n".join(sorted(set(problems))[:40])
    accepted_writes = {
        op for (op, status), _ in seen.items() if op.startswith("POST") and status < 300
    }
    if mode is GenerationMode.POSITIVE:  # the keys got generated writes past the gates
        assert len(accepted_writes) >= 3, sorted(seen.items())
