"""The operator web app under ``/app``: server-rendered pages for the people who record lots.

Every router here uses :class:`backend.web.operator.routing.OperatorRoute`, which loads the
signed session, checks the CSRF token of every POST, turns "not signed in" into a redirect to
the sign-in page and domain errors into HTML error pages, and writes the cookie back. The
pages call the same services as the REST API; nothing here decides what a lot may do.
"""
