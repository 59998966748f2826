"""Accounts: organisations, API keys, operator users, permissions and secrets at rest.

May import: ``services.validation``, models, config, errors, i18n; no other domain.
"""
