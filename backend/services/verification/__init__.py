"""Verification: lineage, chain view, verdicts, proof bundles and the offline bundle verifier.

May import: ``services.ledger`` (documents), ``services.anchoring`` (reconcile), hashing, chain.
"""
