"""Catalogue: farms (growing areas), products and their GTINs.

May import: ``services.accounts``, ``services.validation``, models, errors, i18n.
"""
