"""Shared fixtures. Component fixtures (anvil, PostgreSQL, Chromium) live in tests/support."""

from __future__ import annotations

import os

os.environ.setdefault("SENTRACE_ENV", "test")
