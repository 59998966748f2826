"""The server's own signing secret: operator session cookies and the scan digest key.

It belongs to no page: sessions sign cookies with it and the scan counter derives its keyed
client digests from it, so both (and the demo loader) read it from here.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from backend.config import Settings

logger = logging.getLogger(__name__)

_SECRET_FILE = "session_secret"  # noqa: S105 (a file name, not a secret)


def resolve_secret(settings: Settings) -> str:
    """The signing secret: the configured one, else one kept in the data folder.

    Outside production a missing secret is created once under the data folder (mode 0600), so
    sign-ins survive restarts and several local processes agree; production refuses to start
    without ``SENTRACE_SESSION_SECRET`` (see ``Settings``).
    """
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    path = Path(settings.data_dir) / _SECRET_FILE
    try:
        return path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    candidate = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its secret
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(candidate)
    logger.info("created a session secret at %s", path)
    return candidate
