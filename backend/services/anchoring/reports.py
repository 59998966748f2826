"""What one anchoring pass did (``AnchoringService.run_once``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from backend.services.anchoring.outbox import OutboxReport


@dataclass
class PassReport:
    """What one pass did; ``more_work`` asks the worker to run the next pass at once."""

    built: int = 0
    sent: int = 0
    confirmed: int = 0
    requeued: int = 0
    failed: int = 0
    outbox_sent: int = 0
    outbox_confirmed: int = 0
    more_work: bool = False
    skipped: bool = False  # another sender (thread or process) was busy

    def as_dict(self) -> dict[str, int | bool]:
        return asdict(self)

    def add_outbox(self, outbox: OutboxReport) -> None:
        """Count one outbox round (a pass works its signer changes, then its other actions)."""
        self.outbox_sent += outbox.sent
        self.outbox_confirmed += outbox.confirmed
        self.more_work = self.more_work or outbox.more_work
