"""Label files for a lot: ``POST /api/v1/lots/{code}/labels`` → PNG, ZIP of PNGs, PDF or ZPL.

The caller must hold the lot. Serialised runs record their serials before the file is returned;
the answer is a file, not JSON, so this endpoint does not take part in ``Idempotency-Key``
replay: a repeated request prints a new run (with new serials), as a printer would.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from backend.api.deps import CurrentOrg, SessionDep, SettingsDep
from backend.services.labels.printing import MAX_LABELS_PER_REQUEST, LabelRequest, print_labels
from backend.services.transactions import commit

router = APIRouter(prefix="/api/v1/lots", tags=["labels"])


class LabelsCreate(BaseModel):
    """A print run: how many labels, on which layout, as which file."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    count: int = Field(ge=1, le=MAX_LABELS_PER_REQUEST)
    layout: Literal["thermal-50x30", "thermal-100x50", "export-100x70", "a4"] = "thermal-50x30"
    format: Literal["png", "pdf", "zpl"] = "pdf"
    serials: bool = False
    dpi: int | None = Field(default=None, ge=100, le=1200)
    error_correction: Literal["M", "Q"] = "M"
    #: Labels for export: refused unless the lot has every Circular 02/2024 data item.
    export: bool = False


@router.post(
    "/{code}/labels",
    response_class=Response,
    responses={
        200: {
            "content": {
                "application/pdf": {},
                "image/png": {},
                "application/zip": {},
                "application/x-zpl": {},
            },
            "description": "The label file",
        }
    },
)
def labels(
    code: str, body: LabelsCreate, org: CurrentOrg, session: SessionDep, settings: SettingsDep
) -> Response:
    """Labels for a lot the caller holds, as a download named after the lot and layout."""
    rendered = print_labels(
        session,
        lot_code=code,
        org=org,
        request=LabelRequest(
            count=body.count,
            layout=body.layout,
            fmt=body.format,
            serials=body.serials,
            dpi=body.dpi,
            error_correction=body.error_correction,
            export=body.export,
        ),
        settings=settings,
    )
    commit(session)
    return Response(
        rendered.content,
        media_type=rendered.media_type,
        headers={"Content-Disposition": f'attachment; filename="{rendered.filename}"'},
    )
