"""The real anvil node, registered once for the whole suite by tests/conftest.py.

Tests that ask for ``anvil_node`` are marked ``@pytest.mark.anvil``; without anvil in
node_modules they skip locally and fail under CI=true (tests/support/components.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from backend.chain.anvil import ManagedAnvil
from tests.support.anvil import start_anvil


@pytest.fixture
def anvil_node(tmp_path: Path) -> Iterator[ManagedAnvil]:
    """A started anvil on a free loopback port, stopped (or already killed) after the test."""
    node = start_anvil(tmp_path / "anvil")
    try:
        yield node
    finally:
        node.stop()
