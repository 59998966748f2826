"""The field app under ``/app/field``: an installable, offline-first page for phones.

Its routes use the operator app's route class (session, CSRF on every POST, sign-in redirect),
serve the page shell, its manifest, icons and service worker, the member's offline data, and
photo uploads. Its entries are sent through the API's batch endpoint, which the app factory
lets the same signed-in session call with its CSRF token in a header (``session_auth``).
"""
