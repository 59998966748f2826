"""Anchoring: batches and Merkle roots, sending and confirming them, outbox, reconcile, locks.

May import: ``hashing``, ``chain``, models, config, errors; no other domain.
"""
