"""A last good copy of anvil's state dump, so a node killed mid-dump can start again.

anvil rewrites its state file in place every second. Killed while writing (a power cut, an OOM
kill, SIGKILL), it leaves a truncated file, and the next start refuses it ("failed to parse json
file") so the node would not come back at all. :class:`StateKeeper` copies each complete dump
aside (checked to parse, written to a temporary file and renamed), and :func:`restore_if_torn`
puts that copy back before a start when the dump is torn. What the node mined after the copy is
lost, as after any crash: the anchoring worker's reconcile sends it again.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path

logger = logging.getLogger(__name__)

#: How often the keeper looks for a new dump (anvil writes one every second).
CHECK_EVERY_S = 1.0


def backup_path(state_file: Path) -> Path:
    return state_file.with_name(state_file.stem + ".last-good" + state_file.suffix)


def is_complete(raw: bytes) -> bool:
    """Whether ``raw`` is a whole JSON document (a torn write is cut off somewhere)."""
    try:
        json.loads(raw)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError both are
        return False
    return True


def restore_if_torn(state_file: Path) -> None:
    """Before a start: replace a torn dump with the last good copy (or set it aside)."""
    try:
        raw = state_file.read_bytes()
    except FileNotFoundError:
        return
    if is_complete(raw):
        return
    torn = state_file.with_name(f"{state_file.stem}.torn-{int(time.time())}{state_file.suffix}")
    os.replace(state_file, torn)
    backup = backup_path(state_file)
    if backup.exists():
        _write_atomically(state_file, backup.read_bytes())
        logger.warning(
            "anvil's state dump was torn (kept as %s); starting from the last good copy", torn
        )
    else:
        logger.error(
            "anvil's state dump was torn (kept as %s) and no good copy exists: the node starts "
            "empty, and the server deploys a new registry and anchors everything again",
            torn,
        )


def _write_atomically(target: Path, raw: bytes) -> None:
    temporary = target.with_name(target.name + ".tmp")
    with temporary.open("wb") as handle:
        handle.write(raw)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)


class StateKeeper:
    """A daemon thread copying each complete dump of ``state_file`` to :func:`backup_path`."""

    def __init__(self, state_file: Path, *, every_s: float = CHECK_EVERY_S) -> None:
        self.state_file = state_file
        self.every_s = every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._copied: tuple[int, int] | None = None  # (mtime_ns, size) of the dump last copied

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="anvil-state-keeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def copy_now(self) -> bool:
        """Copy the dump if it changed since the last copy and is complete; whether it did."""
        try:
            stat = self.state_file.stat()
            seen = (stat.st_mtime_ns, stat.st_size)
            if seen == self._copied:
                return False
            raw = self.state_file.read_bytes()
        except FileNotFoundError:
            return False
        if not is_complete(raw):
            return False  # being written right now: the next look gets it
        _write_atomically(backup_path(self.state_file), raw)
        self._copied = seen
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.copy_now()
            except OSError as exc:  # a full disk must not kill the node's keeper silently
                logger.warning("could not copy anvil's state dump aside: %s", exc)
