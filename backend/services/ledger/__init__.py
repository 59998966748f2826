"""Ledger: lots, lot codes, events and their data, custody, split/merge, recall, locking, queries.

May import: ``services.accounts``, ``services.catalog``, ``hashing``, models, errors, i18n.
"""
