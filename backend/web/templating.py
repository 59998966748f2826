"""One Jinja2 environment for every server-rendered page, autoescaping everything.

Pages get ``t`` (the translator of the request's language), ``lang`` and ``other_lang``.
Autoescape is on for all templates, whatever their extension, because every page shows text
that farmers, packers or an attacker typed.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from backend.timeutil import vietnam_text

TEMPLATES_DIR = Path(__file__).parent / "templates"


def _vn_datetime(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    return vietnam_text(value, fmt) if value else ""


def _vn_date(value: datetime | None) -> str:
    return _vn_datetime(value, "%d/%m/%Y")


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["vn_datetime"] = _vn_datetime
    env.filters["vn_date"] = _vn_date
    return env


ENVIRONMENT = build_environment()


def render(template: str, **context: Any) -> str:
    """Render ``template`` with ``context`` (which should carry ``t`` and ``lang``)."""
    return ENVIRONMENT.get_template(template).render(**context)
