"""Photos taken in the field: checked, stripped of what must not be published, stored once.

The phone resizes a photo on a canvas (which drops EXIF) before uploading it; the server does
not take that on trust. It accepts JPEG, PNG and WebP only, judged by their bytes and by a
full decode (never by the name or the declared type), up to :data:`MAX_BYTES` and
:data:`MAX_SIDE` pixels a side. A photo that still carries metadata (EXIF, with perhaps the
exact GPS point of the orchard, XMP, comments, text chunks) is re-encoded without it, so what
is stored, served and hashed never holds a location. The SHA-256 returned is that of the
stored bytes: the one an event document names.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlmodel import Session

from backend.errors import InvalidInput, PayloadTooLarge
from backend.i18n.messages import message
from backend.models import Organisation
from backend.models_field import FieldPhoto

#: Largest upload (a resized phone photo is 100–400 KB).
MAX_BYTES = 2 * 1024 * 1024
#: Largest side in pixels (the app resizes to 1600).
MAX_SIDE = 4096
#: Image format (Pillow's name) → media type, the only kinds accepted.
MEDIA_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
_MAGIC = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
)
#: ``Image.info`` members that carry metadata rather than pixels.
_METADATA = ("exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile", "photoshop")
FIELD = "photo"


@dataclass(frozen=True)
class StoredPhoto:
    """What the uploader is told: the hash to put in the event, and what was kept."""

    sha256: str
    media_type: str
    size: int
    width: int
    height: int


def sniff(content: bytes) -> str | None:
    """The format the bytes start with (``JPEG``, ``PNG``, ``WEBP``), or None."""
    for magic, kind in _MAGIC:
        if content.startswith(magic):
            return kind
    if len(content) >= 12 and content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "WEBP"
    return None


def store_photo(session: Session, *, org: Organisation, content: bytes) -> StoredPhoto:
    """Check ``content``, strip its metadata if it has any, store it once; the caller commits."""
    if len(content) > MAX_BYTES:
        raise PayloadTooLarge(message("field.photo.too_large", most=MAX_BYTES // 1024))
    if not content:
        raise InvalidInput(message("validation.required"), field=FIELD)
    kind = sniff(content)
    if kind is None:
        raise InvalidInput(message("field.photo.kind"), field=FIELD)
    image = _decoded(content, kind)
    if _has_metadata(image):
        content = _reencoded(image, kind)
    digest = hashlib.sha256(content).hexdigest()
    assert org.id is not None
    if session.get(FieldPhoto, digest) is None:
        session.add(
            FieldPhoto(
                sha256=digest,
                media_type=MEDIA_TYPES[kind],
                size=len(content),
                width=image.width,
                height=image.height,
                content=content,
                org_id=org.id,
            )
        )
        session.flush()
    return StoredPhoto(digest, MEDIA_TYPES[kind], len(content), image.width, image.height)


def _decoded(content: bytes, kind: str) -> Image.Image:
    """The image fully decoded; refused when it is not what its bytes claim or too large."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(content), formats=[kind])
            if max(image.size) > MAX_SIDE:
                raise InvalidInput(message("field.photo.too_big", most=MAX_SIDE), field=FIELD)
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as exc:  # fmt: skip
        raise InvalidInput(message("field.photo.unreadable"), field=FIELD) from exc
    return image


def _has_metadata(image: Image.Image) -> bool:
    if any(key in image.info for key in _METADATA):
        return True
    if image.getexif():
        return True
    # PNG text chunks (tEXt, iTXt, zTXt) land in ``text``.
    return bool(getattr(image, "text", None))


def _reencoded(image: Image.Image, kind: str) -> bytes:
    """The pixels alone, in the same format (orientation applied, so nothing turns over)."""
    upright = ImageOps.exif_transpose(image)
    if kind == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    out = io.BytesIO()
    options = {"quality": 85} if kind in ("JPEG", "WEBP") else {}
    upright.save(out, format=kind, **options)
    return out.getvalue()


def get_photo(session: Session, sha256: str) -> FieldPhoto | None:
    """The stored photo with this hash (lowercase hex), or None."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        return None
    return session.get(FieldPhoto, sha256)
