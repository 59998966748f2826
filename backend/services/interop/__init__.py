"""Interoperability: speaking other systems' standards (GS1 EPCIS 2.0; the national portal).

May import: ``services.ledger``, ``services.verification``, ``services.catalog``,
``services.accounts``, ``services.signing``, ``hashing``, models, errors, i18n, config.
"""
