"""The operator app under ``/app``: server-rendered pages for the people who record lots.

Every router here uses :class:`backend.web.operator.routing.OperatorRoute`, which loads the
signed session, checks the CSRF token of every POST, turns "not signed in" into a redirect to
the sign-in page and domain errors into HTML error pages, and writes the cookie back. Routers
take what they need from :mod:`backend.web.operator.deps` and settle every posted form through
:class:`backend.web.operator.submit.Submission`. The pages call the same services as the REST
API; nothing here decides what a lot may do.

Form posts are coroutines although they await nothing: their writes (a sign-in's failure count
included) then run one at a time on the event loop instead of side by side in the thread pool.
"""
