"""The long-lived parts of one SenTrace process, started and stopped together.

A ``Runtime`` owns the database engine, the chain connection (and the managed anvil node when no
RPC URL is configured) and the anchoring worker. Tests build one with their own settings; the
server builds one from the environment. Starting never requires the chain to be up: reads keep
working and the worker retries until the node answers.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.engine import Engine

from backend.config import Settings
from backend.db import create_schema, make_engine

if TYPE_CHECKING:
    from backend.chain.client import ChainClient

logger = logging.getLogger(__name__)


class DataDirError(RuntimeError):
    """The data folder cannot be created or written; the message names the path."""


def ensure_data_dir(path: Path) -> Path:
    """Create the data folder and prove it is writable, failing with the path in the message."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-probe"
        with open(probe, "wb") as handle:
            handle.write(b"ok")
            handle.flush()
            os.fsync(handle.fileno())
        probe.unlink()
    except OSError as exc:
        raise DataDirError(
            f"Thư mục dữ liệu không ghi được / data folder is not writable: {path} ({exc.strerror})"
        ) from exc
    return path


@dataclass
class Runtime:
    """Engine, chain and worker of one process (see module docstring)."""

    settings: Settings
    engine: Engine
    chain: ChainClient | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def create(cls, settings: Settings, *, chain: ChainClient | None = None) -> Runtime:
        ensure_data_dir(settings.data_dir)
        engine = make_engine(settings.resolved_database_url)
        create_schema(engine)
        return cls(settings=settings, engine=engine, chain=chain)

    def database_ok(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception:  # any driver error means "not ready"
            logger.warning("database not reachable", exc_info=True)
            return False
        return True

    def chain_status(self) -> dict[str, Any]:
        """Whether the node answers and the registry contract is deployed where we think."""
        if self.chain is None:
            return {"reachable": False, "contract_deployed": False}
        try:
            reachable = self.chain.is_connected()
            deployed = bool(
                reachable
                and self.chain.contract_address
                and self.chain.w3.eth.get_code(self.chain.contract_address)
            )
        except Exception:
            logger.warning("chain not reachable", exc_info=True)
            return {"reachable": False, "contract_deployed": False}
        return {"reachable": reachable, "contract_deployed": deployed}

    def close(self) -> None:
        self.engine.dispose()
