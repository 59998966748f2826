"""Domain logic, one subpackage per domain; knows nothing of HTTP or pages.

May import: hashing, chain, models, config, errors, i18n, qr; never ``api`` or ``web``.
"""
