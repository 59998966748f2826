"""Quantity in → quantity out of a processing step, as its verified document declares it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from backend.i18n import Translator


def processing_lines(data: Mapping[str, Any], t: Translator, unit: str) -> list[str]:
    """``1000 kg vào → 850 kg ra (hao hụt khai báo 150 kg)`` when the step declared them."""
    values = [data.get(key) for key in ("quantity_in", "quantity_out", "loss")]
    if not all(isinstance(value, str) for value in values):
        return []
    went_in, came_out, loss = values
    return [
        t(
            "compliance.consumer.processing",
            went_in=went_in,
            came_out=came_out,
            loss=loss,
            unit=unit,
        )
    ]
