"""Verification: lineage, chain view, verdicts, proof bundles and the offline bundle verifier.

May import: ``services.anchoring`` (reconcile facts), ``hashing``, ``chain``, models, i18n.
"""
