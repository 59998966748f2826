"""Photos of field entries: only JPEG, PNG and WebP, judged by their bytes and a full decode;
metadata (EXIF with its GPS point) removed before anything is stored; one row per content,
named by the SHA-256 an event document states; uploads behind the session, CSRF and role."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, select

from backend.models_field import FieldPhoto
from backend.runtime import Runtime
from backend.services.field import photos
from tests.operator.conftest import Cast, sign_in

UPLOAD = "/app/field/photos"
KIND = "Chỉ nhận ảnh JPEG, PNG hoặc WebP / only JPEG, PNG or WebP photos are accepted"
UNREADABLE = "Không đọc được ảnh / the photo cannot be read"


def picture(kind: str, *, gps: bool = False, size: tuple[int, int] = (64, 48)) -> bytes:
    image = Image.new("RGB", size, (250, 200, 30))
    options: dict[str, Any] = {}
    if gps:
        exif = Image.Exif()
        gps_ifd = exif.get_ifd(0x8825)
        gps_ifd[1], gps_ifd[2], gps_ifd[3], gps_ifd[4] = (
            "N",
            (10.0, 27.0, 36.0),
            "E",
            (105.0, 38.0, 24.0),
        )
        options["exif"] = exif
    out = io.BytesIO()
    image.save(out, format=kind, **options)
    return out.getvalue()


def upload(client: TestClient, token: str | None, content: bytes, name: str = "a.jpg") -> Any:
    data = {"csrf_token": token} if token is not None else {}
    return client.post(UPLOAD, data=data, files={"photo": (name, content, "image/jpeg")})


@pytest.fixture
def member(client_factory: Any, cast: Cast) -> tuple[TestClient, str]:
    client: TestClient = client_factory()
    return client, sign_in(client, cast.coop)


def stored(runtime: Runtime) -> list[FieldPhoto]:
    with Session(runtime.engine) as session:
        return list(session.exec(select(FieldPhoto)).all())


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "WEBP"])
def test_a_clean_photo_is_stored_as_sent_under_its_sha256(
    member: tuple[TestClient, str], runtime: Runtime, kind: str
) -> None:
    client, token = member
    content = picture(kind)
    response = upload(client, token, content)
    assert response.status_code == 201, response.text
    digest = hashlib.sha256(content).hexdigest()
    assert response.json() == {"sha256": digest, "media_type": photos.MEDIA_TYPES[kind],
                               "size": len(content), "width": 64, "height": 48}  # fmt: skip
    served = client.get(f"{UPLOAD}/{digest}")
    assert served.status_code == 200
    assert served.content == content
    assert served.headers["content-type"] == photos.MEDIA_TYPES[kind]
    assert served.headers["x-content-type-options"] == "nosniff"


def test_a_photo_with_a_gps_position_is_stored_without_it(
    member: tuple[TestClient, str], runtime: Runtime
) -> None:
    client, token = member
    content = picture("JPEG", gps=True)
    assert Image.open(io.BytesIO(content)).getexif().get_ifd(0x8825)
    response = upload(client, token, content)
    assert response.status_code == 201
    digest = response.json()["sha256"]
    assert digest != hashlib.sha256(content).hexdigest()
    [row] = stored(runtime)
    assert hashlib.sha256(row.content).hexdigest() == digest == row.sha256
    kept = Image.open(io.BytesIO(row.content))
    assert not kept.getexif() and "exif" not in kept.info


def test_the_same_photo_twice_is_one_row(member: tuple[TestClient, str], runtime: Runtime) -> None:
    client, token = member
    content = picture("PNG")
    assert upload(client, token, content).json() == upload(client, token, content).json()
    assert len(stored(runtime)) == 1


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (picture("GIF"), KIND),
        (b"%PDF-1.7 not a photo", KIND),
        (b"\xff\xd8\xff\xe0 truncated jpeg", UNREADABLE),
        (picture("PNG")[:60], UNREADABLE),
    ],
)
def test_anything_but_a_whole_jpeg_png_or_webp_is_refused_naming_the_field(
    member: tuple[TestClient, str], runtime: Runtime, content: bytes, detail: str
) -> None:
    client, token = member
    response = upload(client, token, content, name="anh.jpg")
    assert response.status_code == 422
    assert response.json() == {"detail": detail, "code": "invalid_input", "field": "photo"}
    assert stored(runtime) == []


def test_a_photo_over_the_limit_is_413(member: tuple[TestClient, str], runtime: Runtime) -> None:
    client, token = member
    response = upload(client, token, b"\xff\xd8\xff" + b"\0" * photos.MAX_BYTES)
    assert response.status_code == 413
    assert stored(runtime) == []


def test_a_photo_too_many_pixels_a_side_is_refused(member: tuple[TestClient, str]) -> None:
    client, token = member
    response = upload(client, token, picture("PNG", size=(photos.MAX_SIDE + 1, 2)))
    assert response.status_code == 422
    assert response.json()["field"] == "photo"


def test_an_upload_without_the_csrf_token_is_refused(
    member: tuple[TestClient, str], runtime: Runtime
) -> None:
    client, _ = member
    assert upload(client, None, picture("JPEG")).status_code == 403
    assert stored(runtime) == []


def test_only_a_signed_in_cooperative_uploads_and_others_cannot_read_its_photos(
    member: tuple[TestClient, str], client_factory: Any, cast: Cast, app_client: TestClient
) -> None:
    client, token = member
    digest = upload(client, token, picture("JPEG")).json()["sha256"]
    assert upload(app_client, "x", picture("JPEG")).status_code in (303, 403)
    packer: TestClient = client_factory()
    packer_token = sign_in(packer, cast.packer)
    assert upload(packer, packer_token, picture("JPEG")).status_code == 403
    assert packer.get(f"{UPLOAD}/{digest}").status_code == 404
    regulator: TestClient = client_factory()
    sign_in(regulator, cast.regulator)
    assert regulator.get(f"{UPLOAD}/{digest}").status_code == 200
    assert client.get(f"{UPLOAD}/{'0' * 64}").status_code == 404
    assert client.get(f"{UPLOAD}/not-a-hash").status_code == 404


def test_whoever_may_open_the_lot_sees_the_photo_its_event_names(
    member: tuple[TestClient, str], client_factory: Any, cast: Cast
) -> None:
    client, token = member
    digest = upload(client, token, picture("JPEG")).json()["sha256"]
    check = {"type": "quality_check", "lot": cast.lot_code, "occurred_at": "2026-12-01T01:00:00Z",
             "data": {"result": "pass", "photo_sha256": digest}}  # fmt: skip
    answer = client.post(
        "/api/v1/events/batch", json={"events": [check]}, headers={"X-CSRF-Token": token}
    )
    assert answer.status_code == 201, answer.text
    page = client.get(f"/app/lots/{cast.lot_code}").text
    assert f'<img src="/app/field/photos/{digest}?lot={cast.lot_code}"' in page
    moved = client.post(
        f"/app/lots/{cast.lot_code}/transfer",
        data={"csrf_token": token, "to": "sadec-pack", "occurred_at": "2026-12-01T09:00"},
    )
    assert moved.status_code == 303, moved.text

    packer: TestClient = client_factory()
    packer_token = sign_in(packer, cast.packer)
    received = packer.post(f"/app/lots/{cast.lot_code}/receive", data={"csrf_token": packer_token})
    assert received.status_code == 303, received.text
    assert packer.get(f"{UPLOAD}/{digest}?lot={cast.lot_code}").status_code == 200
    assert packer.get(f"{UPLOAD}/{digest}").status_code == 404
    stranger: TestClient = client_factory()
    sign_in(stranger, cast.other_packer)
    assert stranger.get(f"{UPLOAD}/{digest}?lot={cast.lot_code}").status_code == 404
