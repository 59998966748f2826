"""The data folder: made on first use, and proven writable before anything relies on it."""

from __future__ import annotations

import os
from pathlib import Path

from backend.i18n.messages import message


class DataDirError(RuntimeError):
    """The data folder cannot be created or written; the message names the path."""


def ensure_data_dir(path: Path) -> Path:
    """Create the data folder and prove it is writable, failing with the path in the message."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        # One probe name per process: web workers starting together must not unlink each
        # other's probe between the write and the unlink.
        probe = path / f".write-probe-{os.getpid()}"
        with open(probe, "wb") as handle:
            handle.write(b"ok")
            handle.flush()
            os.fsync(handle.fileno())
        probe.unlink()
    except OSError as exc:
        raise DataDirError(message("server.data_dir", tail=f"{path} ({exc.strerror})")) from exc
    return path
