"""HTTP-only helpers shared by ``api`` and ``web``: rate limits, idempotency, verdict threads.

May import: ``services``, ``runtime``, models, errors, i18n; never ``api`` or ``web`` modules.
"""
