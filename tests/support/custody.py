"""Handing a lot on in tests: the two steps of custody (transfer, then the receiver's receive).

Most tests that move a lot mean "the receiver holds it now": :func:`hand_over` sends it and
has the receiver receive it. ``post`` is any ``(path, as_org, body) -> JSON`` that expects
success, such as :meth:`tests.support.app.Actors.post` or :meth:`tests.support.signing.Signers.post`
(which also signs both steps for organisations holding their own keys).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Post = Callable[[str, str, Any], Any]


def hand_over(post: Post, code: str, sender: str, receiver: str, **transfer: Any) -> dict[str, Any]:
    """Transfer lot ``code`` from ``sender`` to ``receiver`` and receive it there; returns the
    receive answer. ``transfer`` adds members to the transfer body (``occurred_at``, ``note``);
    the receipt is dated as the transfer when it gives ``occurred_at``."""
    post(f"/api/v1/lots/{code}/transfer", sender, {"to": receiver, **transfer})
    received = {"occurred_at": transfer["occurred_at"]} if "occurred_at" in transfer else {}
    answer: dict[str, Any] = post(f"/api/v1/lots/{code}/receive", receiver, received)
    return answer


def receive(post: Post, code: str, receiver: str, **body: Any) -> dict[str, Any]:
    """The receiver's half alone (after a transfer the test made itself)."""
    answer: dict[str, Any] = post(f"/api/v1/lots/{code}/receive", receiver, body)
    return answer
