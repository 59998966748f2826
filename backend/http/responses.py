"""JSON answers serialised with orjson, for the read paths that answer on every scan.

Starlette's ``JSONResponse`` runs the standard library encoder; for a verification body (a few
hundred small dicts) orjson produces the same JSON text (UTF-8, no ASCII escaping, no NaN, no
spaces) in a fraction of the time. Only plain JSON types go in: anything else is a bug and
raises instead of being stringified.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from fastapi.responses import Response


def json_bytes(body: Any) -> bytes:
    """``body`` as compact UTF-8 JSON; non-JSON values raise ``TypeError``."""
    return orjson.dumps(body)


def fast_json(
    content: bytes, *, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """A response carrying JSON already serialised by :func:`json_bytes`."""
    return Response(
        content, status_code=status_code, headers=dict(headers or {}), media_type="application/json"
    )
