"""Compliance tests drive webhook deliveries themselves (no sender thread in their apps), to
receivers on loopback (``webhook_allow_private``; tests/compliance/test_webhook_guard.py checks
the guard with it off)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.runtime import Runtime
from tests.support.app import make_settings


@pytest.fixture
def runtime(tmp_path: Path, database_url: str) -> Iterator[Runtime]:
    """As the suite's ``runtime``, with ``webhook_poll_s=0`` (tests call ``deliver_due``) and
    webhooks allowed on loopback (the tests' receivers)."""
    instance = Runtime.create(
        make_settings(tmp_path / "data", database_url, webhook_poll_s=0, webhook_allow_private=True)
    )
    try:
        yield instance
    finally:
        instance.close()
