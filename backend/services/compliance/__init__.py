"""Compliance: a farm's season diary, the pre-harvest interval gate and the holds it leaves.

May import: ``services.accounts``, ``services.catalog``, ``services.signing``, ``hashing``,
models, errors, i18n (never ``services.ledger``, which calls in here when it makes a lot).
"""
