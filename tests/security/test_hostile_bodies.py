"""Bodies built to hurt: huge, deeply nested, not UTF-8, unparseable numbers, wrong types.

Run against a live server: a body that crashed the parser would take the process down, which
an in-process client would not survive either. Every answer must be a 4xx with a JSON error
body, and the server must still answer afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from backend.middleware import MAX_JSON_DEPTH, NOT_UTF8, TOO_DEEP, too_large_message
from tests.support.app import ADMIN
from tests.support.server import ServerProcess

DEFAULT_LIMIT = 256 * 1024
JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def coop(live_server: ServerProcess) -> dict[str, str]:
    with live_server.client() as http:
        body = {
            "slug": "htx-hostile",
            "name": "HTX",
            "role": "cooperative",
            "key_custody": "custodial",
        }
        created = http.post("/api/v1/orgs", json=body, headers=ADMIN)
        assert created.status_code == 201, created.text
        headers = {"Authorization": f"Bearer {created.json()['api_key']}"}
        farm = {"code": "F-H", "name": "Vườn", "commune": "Mỹ Xương"}
        assert http.post("/api/v1/farms", json=farm, headers=headers).status_code == 201
        product = {"code": "xoai-h", "name_vi": "Xoài"}
        assert http.post("/api/v1/products", json=product, headers=headers).status_code == 201
        lot = {
            "code": "H-1",
            "product": "xoai-h",
            "farm": "F-H",
            "quantity": "10",
            "unit": "kg",
            "harvested_at": "2026-05-01T06:30:00+07:00",
        }
        assert http.post("/api/v1/lots", json=lot, headers=headers).status_code == 201
    return headers


@pytest.fixture
def http(live_server: ServerProcess) -> Iterator[httpx.Client]:
    with live_server.client() as client:
        yield client
    assert live_server.is_running(), live_server.log_tail()
    with live_server.client() as client:
        assert client.get("/healthz").status_code == 200


def nested(depth: int, leaf: str = "1") -> str:
    return '{"a":' * depth + leaf + "}" * depth


def error_of(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, object] = response.json()
    return body


@pytest.mark.parametrize("path", ["/api/v1/farms", "/api/v1/lots/H-1/events", "/api/v1/orgs"])
def test_brackets_nested_a_hundred_thousand_deep_get_422_not_a_crash(
    http: httpx.Client, coop: dict[str, str], path: str
) -> None:
    # ~200 KB each, under the size limit: the parser, not the size limit, must cope.
    for body in ("[" * 100_000 + "]" * 100_000, nested(40_000)):
        answer = http.post(path, content=body, headers={**coop, **JSON})
        assert error_of(answer, 422)["detail"] == TOO_DEEP


def test_deep_nesting_is_refused_before_authentication(http: httpx.Client) -> None:
    depth = 100_000
    answer = http.post("/api/v1/farms", content="[" * depth + "]" * depth)  # no key, no type
    assert error_of(answer, 422)["detail"] == TOO_DEEP


@pytest.mark.parametrize("path", ["/api/v1/events/batch", "/api/v1/lots/H-1/events"])
@pytest.mark.parametrize("media", ["text/plain", "application/octet-stream"])
def test_deep_brackets_under_another_media_type_get_a_4xx_not_a_crash(
    http: httpx.Client, coop: dict[str, str], path: str, media: str
) -> None:
    # The middleware only measures JSON media types; the write's idempotency fingerprint reads
    # every body, so it must not hand a deep one to the recursive parser either.
    depth = 100_000
    headers = {**coop, "Content-Type": media, "Idempotency-Key": f"deep-{media[:4]}"}
    answer = http.post(path, content="[" * depth + "]" * depth, headers=headers)
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:300])
    assert answer.headers["content-type"].startswith("application/json")


def test_deep_event_data_is_refused_by_the_service_or_before_parsing(
    http: httpx.Client, coop: dict[str, str]
) -> None:
    def event(depth: int) -> str:
        data = nested(depth - 1, '"sâu"')  # the body itself is the first level
        return '{"type":"processing","occurred_at":"2026-05-02T08:00:00Z","data":' + data + "}"

    path = "/api/v1/lots/H-1/events"
    modest = http.post(path, content=event(12), headers={**coop, **JSON})
    assert str(error_of(modest, 422)["field"]).startswith("data.a.a")
    extreme = http.post(path, content=event(MAX_JSON_DEPTH + 1), headers={**coop, **JSON})
    assert error_of(extreme, 422)["detail"] == TOO_DEEP


@pytest.mark.parametrize(
    "raw",
    [
        b'{"code":"F-X","name":"\xff\xfe","commune":"x"}',
        '{"code":"F-X","name":"Vườn","commune":"x"}'.encode("utf-16"),
        # "Đồng Tháp" the way Windows-1258 spells it: base letters plus combining tones.
        '{"code":"F-X","name":"\u0110\u00f4\u0300ng Tha\u0301p","commune":"x"}'.encode("cp1258"),
    ],
    ids=["invalid-bytes", "utf-16", "windows-1258"],
)
def test_bodies_that_are_not_utf8_get_422(
    http: httpx.Client, coop: dict[str, str], raw: bytes
) -> None:
    answer = http.post("/api/v1/farms", content=raw, headers={**coop, **JSON})
    assert error_of(answer, 422)["detail"] == NOT_UTF8


def test_a_body_over_the_limit_gets_413_whether_or_not_its_length_is_declared(
    http: httpx.Client, coop: dict[str, str]
) -> None:
    big = b'{"code":"F-B","name":"' + b"x" * (DEFAULT_LIMIT + 1) + b'","commune":"x"}'
    declared = http.post("/api/v1/farms", content=big, headers={**coop, **JSON})
    assert error_of(declared, 413)["detail"] == too_large_message(DEFAULT_LIMIT)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 16_384):
            yield big[start : start + 16_384]

    streamed = http.post("/api/v1/farms", content=chunks(), headers={**coop, **JSON})
    assert "content-length" not in streamed.request.headers
    assert error_of(streamed, 413)["detail"] == too_large_message(DEFAULT_LIMIT)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"code":"F-N","name":"x","commune":"x","area_ha":1' + b"0" * 5000 + b"}",
        b'{"code":"F-N","name":"x","commune":"x","area_ha":NaN}',
        b'{"code":"F-N","name":"x","commune":"x","area_ha":1e999}',
        b'{"code":"F-N","name":"x","commune":"x"',
        b'{"code":"F-N","name":"\\ud800","commune":"x"}',
        b'[{"code":"F-N"}]',
        b'"just a string"',
        b"",
    ],
    ids=[
        "5000-digit-int",
        "NaN",
        "infinity",
        "truncated",
        "lone-surrogate",
        "array",
        "string",
        "empty",
    ],
)
def test_malformed_json_gets_a_4xx_json_error(
    http: httpx.Client, coop: dict[str, str], raw: bytes
) -> None:
    answer = http.post("/api/v1/farms", content=raw, headers={**coop, **JSON})
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text[:300])
    assert isinstance(answer.json(), dict)
    farms = http.get("/api/v1/farms", headers=coop).json()
    assert "F-N" not in {farm["code"] for farm in farms}
