"""Expected error bodies, spelled out, so tests compare whole responses exactly."""

from __future__ import annotations

import re
from typing import Any

MISSING_KEY = "Thiếu khóa API / missing API key (Authorization: Bearer <key>)"
INVALID_KEY = "Khóa API không hợp lệ hoặc đã bị thu hồi / invalid or revoked API key"
WRONG_ROLE = "Vai trò của tổ chức không được phép / your organisation's role may not do this"
NOT_CUSTODIAN = "Tổ chức không giữ lô này / your organisation does not hold this lot"
NOT_FARM_OWNER = "Tổ chức không sở hữu vùng trồng này / your organisation does not own this farm"
UNKNOWN_LOT = "Không tìm thấy lô / lot not found"
REQUIRED = "Trường này là bắt buộc / this field is required"
POSITIVE = "Phải lớn hơn 0 / must be greater than zero"
FUTURE = "Thời điểm ở tương lai / time is in the future"
NAIVE = "Thiếu múi giờ, ví dụ +07:00 hoặc Z / time-zone offset required, e.g. +07:00 or Z"
CODE_RULE = (
    "Mã chỉ gồm chữ không dấu, số, '.', '_', '-' và dài tối đa {n} ký tự / "
    "code must be 1–{n} of A–Z, a–z, 0–9, '.', '_', '-'"
)

_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
_HASH = re.compile(r"0x[0-9a-f]{64}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}")


def error(detail: str, code: str, field: str | None = None) -> dict[str, Any]:
    """The JSON body of a domain error (backend/api/errors.py)."""
    return {"detail": detail, "code": code, "field": field}


def invalid(detail: str, field: str) -> dict[str, Any]:
    return error(detail, "invalid_input", field)


class Matches:
    """Equal to any string the pattern matches in full (for server-made ids and times)."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and self.pattern.fullmatch(other) is not None

    def __repr__(self) -> str:
        return f"Matches({self.pattern.pattern!r})"

    __hash__ = None  # type: ignore[assignment]


A_TIMESTAMP = Matches(_TIMESTAMP)
A_HASH = Matches(_HASH)
A_UUID = Matches(_UUID)
#: Lot codes the server makes: region, product tag, year and month, six random base32 characters.
GENERATED_CODE = re.compile(r"DT-[A-Z0-9]{1,5}-\d{4}-[0-9A-HJKMNP-TV-Z]{6}")


def a_generated_code(stem: str) -> Matches:
    """Any code the server generates under ``stem`` (``DT-XOAI-2605``)."""
    return Matches(re.compile(re.escape(stem) + r"-[0-9A-HJKMNP-TV-Z]{6}"))
