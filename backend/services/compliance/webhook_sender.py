"""The thread that posts recall notices to webhooks: one per server process, woken on demand.

Each pass runs :func:`~backend.services.compliance.webhooks.deliver_due`; deliveries are claimed
before they are posted, so the processes of ``sentrace serve --workers N`` never post one twice.
A pass that fails (the database is down) is retried after the usual back-off.
"""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine

from backend.config import Settings
from backend.services.anchoring.background import DaemonThread, poll_delay
from backend.services.compliance.webhooks import deliver_due

logger = logging.getLogger(__name__)


class WebhookSender:
    """Posts due deliveries every ``settings.webhook_poll_s`` seconds, or at once when woken."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self._engine = engine
        self._settings = settings
        self._failures = 0
        self._thread = DaemonThread(self._loop, name="sentrace-webhooks", label="webhook sender")

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        self._thread.stop(timeout)

    def wake(self) -> None:
        self._thread.wake()

    def _loop(self) -> None:
        poll = self._settings.webhook_poll_s
        while not self._thread.stopping:
            try:
                deliver_due(self._engine, self._settings)
                self._failures = 0
            except Exception:  # the database may be down: try again later, loudly
                self._failures += 1
                logger.exception("webhook pass failed; retrying")
            if not self._thread.sleep(poll_delay(self._failures, poll_s=poll, max_s=300.0)):
                break
