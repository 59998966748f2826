"""The field app's domain: photos of field entries, the rules its forms check, and what a
member's phone keeps for offline use.

May import: ``services.accounts``, ``services.catalog``, ``services.ledger``, models, errors,
i18n, hashing.
"""
